using SmbRoot.Fencing;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// One step of the boot, as data: its name on the console, whether a retry may repeat it, and what
/// it does with the attempt so far. The runner (<see cref="BootRunner"/>) runs the list in order;
/// <see cref="BootSteps"/> is the boot's own list.
/// </summary>
public sealed record BootStep(string Name, bool Retryable, Action<BootAttempt, Made> Run);

/// <summary>
/// What one step makes, in the order it makes it: each resource is added the moment it exists,
/// before anything else in the step can fail (the network before its address is set, a claim
/// before the image's loop device). The runner records it all on the attempt, whether the step
/// finished or failed, so the undo of a failed attempt gives back exactly what was made.
/// </summary>
public sealed class Made
{
    private readonly List<IResource> _made = [];

    public T Add<T>(T resource) where T : IResource
    {
        _made.Add(resource);
        return resource;
    }

    public IReadOnlyList<IResource> InOrder => _made;
}

/// <summary>What one attempt has built so far: the steps read what the steps before them made.</summary>
public sealed class BootAttempt
{
    /// <summary>Recorded by the runner alone (<see cref="BootRunner"/>).</summary>
    public ResourceStack Built { get; } = new();
    public OnDemandModules? OnDemand { get; set; }
    public RootNetwork? Network { get; set; }
    public ShareMount? Share { get; set; }
    public LoopAttachment? Image { get; set; }
    public Steps.LayerStep.Result? Layer { get; set; }

    /// <summary>The holder record of what this machine holds alone: the read-write image's, or the persistent layer's.</summary>
    public HolderGuard? Claim { get; set; }

    public RootMount? Root { get; set; }
}
