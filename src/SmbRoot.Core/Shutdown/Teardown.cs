using SmbRoot.Core.State;

namespace SmbRoot.Core.Shutdown;

/// <summary>
/// The final stage's order, from what the boot built (<see cref="BootState"/>): given back in
/// reverse, a kind at a time, as systemd-shutdown does (src/shutdown/shutdown.c: unmount, detach
/// loop devices, repeat while anything changes). The boot builds the network, then the share, then
/// each claim just before the loop device of the file it claims, then the root's mounts; so the
/// reverse is: the old root (every mount of the root, and whatever the system mounted on it), the
/// system's own loop devices, ours, a sweep of what is left, the claims, the share, other shares, and
/// the network last. Nothing is written to the image after its loop device is detached: only then
/// does a claim say released.
/// </summary>
public static class Teardown
{
    public abstract record Step
    {
        /// <summary>The old root's whole tree: the boot's <see cref="Built.Mount"/>s are all in it.</summary>
        public sealed record UnmountOldRoot : Step;

        /// <summary>Loop devices the system set up over files on its root (snapd's): they keep the root busy.</summary>
        public sealed record DetachSystemLoops : Step;

        public sealed record Detach(Built.Loop Loop) : Step;

        /// <summary>Unmount and detach what the kernel still shows until a pass changes nothing.</summary>
        public sealed record Sweep : Step;

        public sealed record Release(Built.Claim Claim) : Step;

        public sealed record UnmountShare(Built.Share Share) : Step;

        /// <summary>cifs mounts the system made itself.</summary>
        public sealed record UnmountOtherShares : Step;

        public sealed record TakeDown(Built.Network Network) : Step;
    }

    /// <summary>
    /// The steps for <paramref name="built"/> (empty when the state file could not be read: then
    /// only what the kernel shows is released).
    /// </summary>
    public static IReadOnlyList<Step> Order(IReadOnlyList<Built> built)
    {
        var reversed = built.Reverse().ToList();
        return
        [
            new Step.UnmountOldRoot(),
            new Step.DetachSystemLoops(),
            .. reversed.OfType<Built.Loop>().Select(loop => new Step.Detach(loop)),
            new Step.Sweep(),
            .. reversed.OfType<Built.Claim>().Select(claim => new Step.Release(claim)),
            .. reversed.OfType<Built.Share>().Select(share => new Step.UnmountShare(share)),
            new Step.UnmountOtherShares(),
            .. reversed.OfType<Built.Network>().Select(network => new Step.TakeDown(network)),
        ];
    }
}
