using SmbRoot.Boot.Steps;
using SmbRoot.Core.Plan;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>The boot's steps 3 to 8, in order, as the plan asks for them (DESIGN.md, the life of the machine).</summary>
public static class BootSteps
{
    /// <summary>How long giving back the kernel's own module requests may take.</summary>
    private static readonly TimeSpan ModulesBack = TimeSpan.FromSeconds(10);

    public static IReadOnlyList<BootStep> For(BootContext context)
    {
        var plan = context.Plan;
        var steps = new List<BootStep>
        {
            new("modules", Retryable: false, (a, made) => a.OnDemand = LoadModulesStep.Run(context, made)),
            new("network", Retryable: true, (a, made) => a.Network = NetworkStep.Run(context, made)),
        };
        if (plan.Break == BreakPoint.PreMount) steps.Add(new("rd.break=pre-mount", Retryable: false, (_, _) => Fallback.Break(context, "pre-mount")));
        steps.Add(new("share", Retryable: true, (a, made) => a.Share = made.Add(ShareStep.Run(context, a.Network!))));
        if (plan.Root.IsImage)
        {
            steps.Add(new("image", Retryable: true, (a, made) =>
            {
                var (image, claim) = ImageStep.Run(context, a.Network!, a.Share!, made);
                (a.Image, a.Claim) = (made.Add(image), claim);
            }));
        }
        if (plan.Overlay?.File is { } layerFile)
        {
            steps.Add(new("layer", Retryable: true, (a, made) =>
            {
                a.Layer = LayerStep.Run(context, a.Network!, a.Share!, layerFile, made);
                made.Add(a.Layer.Loop);
                a.Claim = a.Layer.Claim;
            }));
        }
        steps.Add(new("root", Retryable: true, (a, made) => a.Root = RootStep.Run(context, a.Image, a.Layer, a.Claim, a.Share!, made)));
        steps.Add(new("retain", Retryable: false, (a, _) => RetainStep.Run(a.Built.ForFinalStage)));
        steps.Add(new("check", Retryable: false, (a, _) =>
        {
            Switch.SwitchRoot.Check(context);
            a.OnDemand?.Release(new Deadline(ModulesBack)); // from here the system's own modprobe works as before the boot
        }));
        if (plan.Break == BreakPoint.PreSwitch) steps.Add(new("rd.break=pre-switch", Retryable: false, (_, _) => Fallback.Break(context, "pre-switch")));
        return steps;
    }
}
