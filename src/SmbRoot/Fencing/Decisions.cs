using System.Collections.Concurrent;

namespace SmbRoot.Fencing;

/// <summary>
/// Where the results of the share's I/O are decided. The renewals and the image checks ask the
/// server on threads of their own, because a question to a hard-mounted share blocks for as long
/// as the network is gone; what follows from the answer (a proof, a lost claim, a fence, a console
/// line) is a decision. In guard mode the supervisor's loop takes the decisions over
/// (<see cref="DecideIn"/>): the threads post them, the loop runs them, and only the loop and the
/// fence thread can end the machine. Until then, and in the processes that have no loop (the boot,
/// the handoff helper, the final stage), the thread that posts a decision runs it itself.
/// </summary>
public sealed class Decisions
{
    private readonly ConcurrentQueue<Action> _queue = new();
    private Action? _wake;

    /// <summary>From a worker thread: the decision runs in the loop, if one has taken them over, or here.</summary>
    public void Post(Action decision)
    {
        if (Volatile.Read(ref _wake) is not { } wake)
        {
            decision();
            return;
        }
        _queue.Enqueue(decision);
        wake();
    }

    /// <summary>A loop takes the decisions over: <paramref name="wake"/> (safe from any thread) tells it one is waiting. Null gives them back to the posting threads.</summary>
    public void DecideIn(Action? wake)
    {
        Volatile.Write(ref _wake, wake);
        if (wake is null) RunPending();
    }

    /// <summary>The loop's side: runs the decisions posted so far, in order.</summary>
    public void RunPending()
    {
        while (_queue.TryDequeue(out var decision)) decision();
    }
}
