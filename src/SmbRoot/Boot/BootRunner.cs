using System.Diagnostics;
using SmbRoot.Core.Boot;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// The boot phase: runs the steps in order (<see cref="BootSteps"/>) and records what each made (<see cref="Made"/>).
/// On a failure it says which step failed, what it tried and what to check, releases what was built
/// in reverse, and then retries with back-off while rd.retry lasts, or falls back to the shell or
/// the prompt. Nothing here is past the point of no return: the switch is the caller's. The steps,
/// the wait between attempts and the fallback are given, so the tests drive it with their own.
/// </summary>
public sealed class BootRunner(BootContext context, IReadOnlyList<BootStep> steps, Action<TimeSpan> sleep, Func<Fallback.Choice> afterFailure)
{
    /// <summary>How long the undo of a failed attempt may wait for something busy.</summary>
    private static readonly TimeSpan UndoTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The boot's own steps, waits and fallback.</summary>
    public BootRunner(BootContext context)
        : this(context, BootSteps.For(context), Thread.Sleep, () => Fallback.AfterFailure(context, context.Plan.Shell))
    {
    }

    /// <summary>What the boot ended in: what the attempt built and its timeline, or the fallback the person at the console chose.</summary>
    public abstract record Outcome
    {
        public sealed record Booted(BootAttempt Attempt, BootTimeline Timeline) : Outcome;

        public sealed record GaveUp(Fallback.Choice Choice) : Outcome;
    }

    public Outcome Run()
    {
        var plan = context.Plan;
        var log = context.Log;
        var retryClock = Stopwatch.StartNew();
        var backoff = new RetryBackoff(Random.Shared.NextDouble);
        int number = 1;
        while (true)
        {
            var attempt = new BootAttempt();
            var progress = new Progress();
            bool permanent;
            try
            {
                foreach (var step in steps)
                {
                    progress.Enter(step.Name, step.Retryable);
                    var made = new Made();
                    try
                    {
                        step.Run(attempt, made);
                    }
                    finally
                    {
                        foreach (var resource in made.InOrder) attempt.Built.Push(resource);
                    }
                }
                progress.Done();
                return new Outcome.Booted(attempt, progress.Timeline);
            }
            catch (Exception e)
            {
                Report(progress.Step, e);
                permanent = !progress.Retryable || e is BootException { Permanent: true };
            }
            attempt.Built.ReleaseAll(new Deadline(UndoTimeout), (resource, e) => log.Warn($"undoing {resource.Name}: {e.Message}"));

            var left = TimeSpan.FromSeconds(plan.RetrySeconds) - retryClock.Elapsed;
            if (!permanent && left > TimeSpan.Zero)
            {
                var wait = backoff.Next(left);
                log.Say($"attempt {number} failed; retrying in {wait.TotalSeconds:0}s ({left.TotalSeconds:0}s of rd.retry={plan.RetrySeconds} left)");
                sleep(wait);
                number++;
                continue;
            }
            if (!permanent) log.Error($"giving up after {number} attempt(s) in {retryClock.Elapsed.TotalSeconds:0}s (rd.retry={plan.RetrySeconds})");
            var choice = afterFailure();
            if (choice != Fallback.Choice.Retry) return new Outcome.GaveUp(choice);
            retryClock.Restart();
            backoff.Reset();
            number++;
        }
    }

    /// <summary>Which step is running, and whether trying it again can help.</summary>
    private sealed class Progress
    {
        private readonly Stopwatch _clock = new();

        public string Step { get; private set; } = "boot";
        public bool Retryable { get; private set; } = true;
        public BootTimeline Timeline { get; } = new();

        public void Enter(string step, bool retryable)
        {
            Done();
            (Step, Retryable) = (step, retryable);
            _clock.Restart();
        }

        /// <summary>Closes the step that is running: its time goes on the timeline.</summary>
        public void Done()
        {
            if (_clock.IsRunning) Timeline.Add(Step, _clock.Elapsed);
            _clock.Reset();
        }
    }

    private void Report(string step, Exception e)
    {
        switch (e)
        {
            case BootException b:
                context.Log.Error($"{step}: {b.Message}");
                context.Log.Error($"  check: {b.Check}");
                break;
            case SysException s:
                context.Log.Error($"{step}: {s.Message}");
                context.Log.Error("  check: dmesg for the kernel's side of it");
                break;
            default:
                context.Log.Error($"{step}: unexpected {e.GetType().Name}: {e.Message}");
                if (context.Plan.Debug) context.Log.Error(e.StackTrace ?? "");
                break;
        }
    }
}
