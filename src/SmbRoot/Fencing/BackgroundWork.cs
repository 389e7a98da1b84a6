using Microsoft.Extensions.Logging;
using SmbRoot.Logging;

namespace SmbRoot.Fencing;

/// <summary>
/// A thread of PID 1 (or of the handoff helper) whose failure cannot end the process: in .NET an
/// exception that leaves a thread ends the process, and PID 1's end is a kernel panic
/// (kernel/exit.c, do_exit: "Attempted to kill init!"). What escapes the work is reported on the
/// console, and the work starts again after a pause: a renewal or a check that stopped for good
/// would fail silently, while one that goes on fails loudly or recovers.
/// </summary>
public static class BackgroundWork
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="work"/> on a background thread until it returns.</summary>
    public static void Start(string name, ILogger log, Action work) =>
        new Thread(() => Contain(name, log, work, Pause)) { IsBackground = true, Name = name }.Start();

    /// <summary>The thread's body, run in the caller's thread (for tests): returns when <paramref name="work"/> returns.</summary>
    public static void Contain(string name, ILogger log, Action work, TimeSpan pause)
    {
        while (true)
        {
            try
            {
                work();
                return;
            }
            catch (Exception e)
            {
                try { log.Error($"{name}: unexpected {e.GetType().Name}: {e.Message}; starting it again"); }
                catch (Exception) { /* the console itself failed: go on without the message */ }
                Thread.Sleep(pause);
            }
        }
    }
}
