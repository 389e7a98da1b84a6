using Microsoft.Extensions.Logging;
using SmbRoot.Core.Plan;
using SmbRoot.Logging;

namespace SmbRoot.Boot;

/// <summary>The plan plus what the steps found and made on the way: the state that undo and shutdown need.</summary>
public sealed class BootContext(BootPlan plan, ILogger log, KernelConsoleLoggerProvider logging, ModuleLoader modules)
{
    public const string SysRoot = "/sysroot";
    public const string RetainedRamdisk = "/run/initramfs";
    public const string ShareMountPoint = RetainedRamdisk + "/share";

    public BootPlan Plan { get; } = plan;
    public ILogger Log { get; } = log;
    public KernelConsoleLoggerProvider Logging { get; } = logging;
    public ModuleLoader Modules { get; } = modules;

    public string? Interface { get; set; }
    public int InterfaceIndex { get; set; }
    public byte[]? Mac { get; set; }

    /// <summary>The address the network step configured: from ip= or from the DHCP lease.</summary>
    public System.Net.IPAddress? Address { get; set; }
    public int PrefixLength { get; set; }
    public System.Net.IPAddress? Gateway { get; set; }
    public IReadOnlyList<System.Net.IPAddress> DnsServers { get; set; } = [];
    public Core.Dhcp.DhcpLease? Lease { get; set; }

    /// <summary>The SMB server's address: from root=, or resolved by DNS.</summary>
    public System.Net.IPAddress? ServerAddress { get; set; }
    public Credentials Credentials { get; set; } = Credentials.None;
    public string? ImagePath { get; set; }
    public int ImageFd { get; set; } = -1;
    public string? LoopDevice { get; set; }
    public string? FileSystem { get; set; }
    public bool LastFailurePermanent { get; set; }
}
