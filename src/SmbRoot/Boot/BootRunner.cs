using System.Diagnostics;
using SmbRoot.Boot.Steps;
using SmbRoot.Core.Boot;
using SmbRoot.Core.Plan;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// The boot phase: runs the steps in order, each returning the resource it built. On a failure
/// it says which step failed, what it tried and what to check, releases what was built in
/// reverse, and then retries with back-off while rd.retry lasts, or falls back to the shell or
/// the prompt. Nothing here is past the point of no return: the switch is the caller's.
/// </summary>
public sealed class BootRunner(BootContext context)
{
    /// <summary>How long the undo of a failed attempt may wait for something busy.</summary>
    private static readonly TimeSpan UndoTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What the boot ended in: the built root, or the fallback the person at the console chose.</summary>
    public abstract record Outcome
    {
        public sealed record Booted(BootedRoot Root) : Outcome;

        public sealed record GaveUp(Fallback.Choice Choice) : Outcome;
    }

    public Outcome Run()
    {
        var plan = context.Plan;
        var log = context.Log;
        var retryClock = Stopwatch.StartNew();
        var backoff = new RetryBackoff(Random.Shared.NextDouble);
        int attempt = 1;
        while (true)
        {
            var built = new ResourceStack();
            var progress = new Progress();
            bool permanent;
            try
            {
                return new Outcome.Booted(Attempt(built, progress));
            }
            catch (Exception e)
            {
                Report(progress.Step, e);
                permanent = !progress.Retryable || e is BootException { Permanent: true };
            }
            built.ReleaseAll(new Deadline(UndoTimeout), (resource, e) => log.Warn($"undoing {resource.Name}: {e.Message}"));

            var left = TimeSpan.FromSeconds(plan.RetrySeconds) - retryClock.Elapsed;
            if (!permanent && left > TimeSpan.Zero)
            {
                var wait = backoff.Next(left);
                log.Say($"attempt {attempt} failed; retrying in {wait.TotalSeconds:0}s ({left.TotalSeconds:0}s of rd.retry={plan.RetrySeconds} left)");
                Thread.Sleep(wait);
                attempt++;
                continue;
            }
            if (!permanent) log.Error($"giving up after {attempt} attempt(s) in {retryClock.Elapsed.TotalSeconds:0}s (rd.retry={plan.RetrySeconds})");
            var choice = Fallback.AfterFailure(context, plan.Shell);
            if (choice != Fallback.Choice.Retry) return new Outcome.GaveUp(choice);
            retryClock.Restart();
            backoff.Reset();
            attempt++;
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

    /// <summary>One attempt: steps 3 to 8. What each step builds goes on <paramref name="built"/> as soon as it exists.</summary>
    private BootedRoot Attempt(ResourceStack built, Progress progress)
    {
        var plan = context.Plan;
        progress.Enter("modules", retryable: false);
        var onDemand = LoadModulesStep.Run(context, built);
        progress.Enter("network", retryable: true);
        var network = NetworkStep.Run(context, built);
        if (plan.Break == BreakPoint.PreMount) Fallback.Break(context, "pre-mount");
        progress.Enter("share", retryable: true);
        var share = built.Push(ShareStep.Run(context, network));
        LoopAttachment? image = null;
        HolderGuard? claim = null;
        if (plan.Root.IsImage)
        {
            progress.Enter("image", retryable: true);
            (image, claim) = ImageStep.Run(context, network, share, built);
            built.Push(image);
        }
        LayerStep.Result? layer = null;
        if (plan.Overlay?.File is { } layerFile)
        {
            progress.Enter("layer", retryable: true);
            layer = LayerStep.Run(context, network, share, layerFile, built);
            built.Push(layer.Loop);
            claim = layer.Claim;
        }
        progress.Enter("root", retryable: true);
        var root = RootStep.Run(context, image, layer, claim, share, built);
        var booted = new BootedRoot(network, share, image, layer?.Loop, claim, root, progress.Timeline);
        progress.Enter("retain", retryable: false);
        RetainStep.Run(built.ForFinalStage);
        progress.Enter("check", retryable: false);
        Switch.SwitchRoot.Check(context);
        onDemand.Release(new Deadline(UndoTimeout)); // from here the system's own modprobe works as before the boot
        progress.Done();
        if (plan.Break == BreakPoint.PreSwitch) Fallback.Break(context, "pre-switch");
        return booted;
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
