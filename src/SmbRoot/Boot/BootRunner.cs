using System.Diagnostics;
using SmbRoot.Boot.Steps;
using SmbRoot.Core.Plan;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot;

/// <summary>
/// Runs the steps in order. On a failure it says which step failed, what it tried and what to
/// check, undoes what was done in reverse, and then retries with back-off while rd.retry lasts,
/// or falls back to the shell or the prompt. Returns only to let PID 1 reboot or power off.
/// </summary>
public sealed class BootRunner(BootContext context)
{
    private IReadOnlyList<IBootStep> Steps()
    {
        var steps = new List<IBootStep> { new LoadModulesStep(), new NetworkStep(), new ShareStep() };
        if (context.Plan.Root.IsImage) steps.Add(new ImageStep());
        steps.AddRange([new RootStep(), new RetainStep(), new SwitchRootStep()]);
        return steps;
    }

    public Fallback.Choice Run()
    {
        var plan = context.Plan;
        var log = context.Log;
        var retryClock = Stopwatch.StartNew();
        var backoff = TimeSpan.FromSeconds(2);
        int attempt = 1;
        while (true)
        {
            var done = new Stack<IBootStep>();
            IBootStep? current = null;
            try
            {
                foreach (var step in Steps())
                {
                    current = step;
                    if (step is ShareStep && plan.Break == BreakPoint.PreMount) Fallback.Break(context, "pre-mount");
                    if (step is SwitchRootStep && plan.Break == BreakPoint.PreSwitch) Fallback.Break(context, "pre-switch");
                    // Pushed first: a step that fails half-way undoes its half (every Undo copes with partial work).
                    done.Push(step);
                    step.Run(context);
                }
                throw new BootException("the root's init returned", "nothing: this cannot happen", permanent: true);
            }
            catch (Exception e)
            {
                Report(current, e);
            }

            while (done.TryPop(out var step))
            {
                try { step.Undo(context); }
                catch (Exception e) { log.Warn($"undoing {step.Name}: {e.Message}"); }
            }

            bool permanent = current is null || !current.Retryable || context.LastFailurePermanent;
            var left = TimeSpan.FromSeconds(plan.RetrySeconds) - retryClock.Elapsed;
            if (!permanent && left > TimeSpan.Zero)
            {
                var wait = backoff < left ? backoff : left;
                log.Say($"attempt {attempt} failed; retrying in {wait.TotalSeconds:0}s ({left.TotalSeconds:0}s of rd.retry={plan.RetrySeconds} left)");
                Thread.Sleep(wait);
                backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 30));
                attempt++;
                continue;
            }
            if (!permanent) log.Error($"giving up after {attempt} attempt(s) in {retryClock.Elapsed.TotalSeconds:0}s (rd.retry={plan.RetrySeconds})");
            var choice = Fallback.AfterFailure(context, plan.Shell);
            if (choice != Fallback.Choice.Retry) return choice;
            retryClock.Restart();
            backoff = TimeSpan.FromSeconds(2);
            attempt++;
        }
    }

    private void Report(IBootStep? step, Exception e)
    {
        string where = step?.Name ?? "boot";
        context.LastFailurePermanent = e is BootException { Permanent: true };
        switch (e)
        {
            case BootException b:
                context.Log.Error($"{where}: {b.Message}");
                context.Log.Error($"  check: {b.Check}");
                break;
            case SysException s:
                context.Log.Error($"{where}: {s.Message}");
                context.Log.Error("  check: dmesg for the kernel's side of it");
                break;
            default:
                context.Log.Error($"{where}: unexpected {e.GetType().Name}: {e.Message}");
                if (context.Plan.Debug) context.Log.Error(e.StackTrace ?? "");
                break;
        }
    }
}
