using SmbRoot.Core.Boot;
using SmbRoot.Fencing;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>What a successful boot built, in the order it built it: the run phase's input, and what the final stage releases in reverse.</summary>
public sealed record BootedRoot(RootNetwork Network, ShareMount Share, LoopAttachment? Image, HolderGuard? Claim, RootMount Root, BootTimeline Timeline);
