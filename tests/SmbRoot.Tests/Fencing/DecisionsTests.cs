using SmbRoot.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

/// <summary>The one decider: what a worker thread posts runs in the loop once the loop has taken the decisions over.</summary>
public class DecisionsTests
{
    [Fact]
    public void Until_a_loop_takes_them_over_the_posting_thread_decides()
    {
        var decisions = new Decisions();
        int decidedOn = -1;
        var worker = new Thread(() => decisions.Post(() => decidedOn = Environment.CurrentManagedThreadId));
        worker.Start();
        worker.Join();
        Assert.Equal(worker.ManagedThreadId, decidedOn);
    }

    [Fact]
    public void Once_a_loop_takes_them_over_they_run_in_the_loop_in_order_and_each_post_wakes_it()
    {
        var decisions = new Decisions();
        int wakes = 0;
        decisions.DecideIn(() => Interlocked.Increment(ref wakes));
        var decided = new List<(int Thread, int Number)>();
        var worker = new Thread(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                int number = i;
                decisions.Post(() => decided.Add((Environment.CurrentManagedThreadId, number)));
            }
        });
        worker.Start();
        worker.Join();
        Assert.Empty(decided);
        Assert.Equal(3, wakes);

        decisions.RunPending();
        Assert.Equal([0, 1, 2], decided.Select(d => d.Number));
        Assert.All(decided, d => Assert.Equal(Environment.CurrentManagedThreadId, d.Thread));
    }

    [Fact]
    public void A_loop_that_gives_them_back_runs_what_is_pending_first()
    {
        var decisions = new Decisions();
        decisions.DecideIn(() => { });
        var decided = new List<string>();
        decisions.Post(() => decided.Add("while the loop ran"));
        decisions.DecideIn(null);
        Assert.Equal(["while the loop ran"], decided);
        decisions.Post(() => decided.Add("after"));
        Assert.Equal(["while the loop ran", "after"], decided);
    }
}
