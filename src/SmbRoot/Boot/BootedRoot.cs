using SmbRoot.Core.Boot;
using SmbRoot.Fencing;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// What a successful boot built, in the order it built it: the run phase's input, and what the final
/// stage releases in reverse. <see cref="Claim"/> is the holder record of what this machine holds
/// alone: the read-write image, or under rd.overlay=cifs:// the persistent <see cref="Layer"/>.
/// </summary>
public sealed record BootedRoot(RootNetwork Network, ShareMount Share, LoopAttachment? Image, LoopAttachment? Layer, HolderGuard? Claim, RootMount Root, BootTimeline Timeline);
