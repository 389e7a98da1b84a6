using System.Diagnostics;
using SmbRoot.Boot;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using SmbRoot.Guard;
using SmbRoot.Handoff;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Shutdown;

namespace SmbRoot.Switch;

/// <summary>
/// The run phase, after the point of no return: switch root, then guard or handoff. Whatever
/// happens here ends in the final stage, which releases the root and then reboots, halts or powers
/// off. Nothing here undoes a boot step: the initramfs is gone, and the network carries the root.
/// </summary>
public static class SystemPhase
{
    public static void Run(BootContext context, BootedRoot booted)
    {
        var log = context.Log;
        var verb = context.Plan.HaltVerb;
        bool loadNext = false;
        try
        {
            var switching = Stopwatch.StartNew();
            SwitchRoot.Switch(context, booted.Image?.Device ?? booted.Share.Unc);
            booted.Timeline.Add("switch", switching.Elapsed);
            string timing = booted.Timeline.Describe(Program.SinceStart.Elapsed);
            log.Say(timing);
            string init = context.Plan.Init;
            string initTarget = File.ResolveLinkTarget(init, returnFinalTarget: true)?.FullName ?? init;
            if (BootModes.Resolve(context.Plan.Mode, initTarget) == BootMode.Guard)
            {
                (verb, loadNext) = new Supervisor(context, booted, timing + OwnCode()).Run(init, context.Plan.InitArguments);
            }
            else
            {
                var watched = booted.Image is { } image ? ImageWatch.For(booted.Share, image) : null;
                if (booted.Claim is not null || watched is not null)
                {
                    int helper = HolderHelper.Start(booted.Claim, context.Plan.Fencing, watched);
                    log.Say($"handoff: {HolderHelper.ProcessName} (pid {helper}) " + (booted.Claim is null ? "checks that the image is still the file booted"
                        : watched is null ? "keeps the claim on the image" : "keeps the claim on the layer and checks that the image is still the file booted") + " from here");
                }
                log.Say($"handoff: exec {init}; it runs {RetainedBinary.Path} at its end");
                context.Logging.DetachKernelLog();
                var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                    .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").Order(StringComparer.Ordinal).ToArray();
                Sys.Exec(init, [init, .. context.Plan.InitArguments], environment);
            }
        }
        catch (Exception e)
        {
            context.Logging.AttachKernelLog();
            log.Error($"run: starting the system failed: {(e is SysException s ? s.Message : $"unexpected {e.GetType().Name}: {e.Message}")}");
            log.Error($"  check: that init={context.Plan.Init} is a program this machine can run (architecture, #! line, its libraries in the image)");
            log.Error($"past the point of no return: releasing the root, then {verb.Name()}");
        }
        EnterFinalStage.Run(context, verb, booted.Claim, loadNext);
    }

    /// <summary>
    /// For init status: how much of the boot was SmbRoot's own code, PID 1's time in user mode. The rest
    /// of the boot's time is the kernel's work for it (loading modules, mounting) and waiting.
    /// </summary>
    private static string OwnCode() =>
        Core.Kernel.ProcStat.UserTime(File.ReadAllText("/proc/self/stat")) is { } own ? $"; SmbRoot's own code {own.TotalSeconds:0.00} s of CPU" : "";
}
