using Microsoft.Extensions.Logging;
using SmbRoot.Core.Plan;
using SmbRoot.Core.State;
using SmbRoot.Logging;

namespace SmbRoot.Boot;

/// <summary>What every step reads: the plan, the log and the module loader. What the steps build comes back as resources, not through here.</summary>
public sealed class BootContext(BootPlan plan, ILogger log, KernelConsoleLoggerProvider logging, ModuleLoader modules)
{
    public const string SysRoot = "/sysroot";
    /// <summary>The initramfs's own directory that is bound on <see cref="RetainedRamdisk.MountPoint"/> (<see cref="EarlySetup"/>).</summary>
    public const string RetainedInInitramfs = "/retained";
    public const string ShareMountPoint = RetainedRamdisk.MountPoint + "/share";
    /// <summary>The share mounted again without leases, for the holder records (<see cref="Steps.ShareStep"/>).</summary>
    public const string RecordMountPoint = RetainedRamdisk.MountPoint + "/records";

    public BootPlan Plan { get; } = plan;
    public ILogger Log { get; } = log;
    public KernelConsoleLoggerProvider Logging { get; } = logging;
    public ModuleLoader Modules { get; } = modules;
    /// <summary>Where the share's answers are decided: by the threads that ask, until guard mode's loop takes them over.</summary>
    public Fencing.Decisions Decisions { get; } = new();
}
