using SmbRoot.Boot;
using SmbRoot.Core.Cifs;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Plan;

namespace SmbRoot.Guard;

/// <summary>What <c>init status</c> prints in guard mode.</summary>
public static class StatusText
{
    /// <param name="cifsDebugData">/proc/fs/cifs/DebugData now, for what the session negotiated; null when it cannot be read</param>
    public static string Format(BootPlan plan, BootedRoot booted, int systemPid, string initKind, DhcpLease? lease, string ending, string? cifsDebugData)
    {
        var network = booted.Network.Record;
        return string.Join('\n',
            "mode:        guard (SmbRoot is PID 1; the system's init runs in its own PID namespace)",
            $"system init: {plan.Init}, pid {systemPid} here ({initKind})",
            $"root:        {(plan.Root.IsImage ? $"{plan.Root.Unc}/{plan.Root.ImagePathInShare}" : plan.Root.Unc)} ({booted.Image?.FileSystem ?? "cifs"}, {(plan.ReadOnly ? "ro" : "rw")})",
            $"loop device: {booted.Image?.Device ?? "none (the share is the root)"}",
            $"share:       {booted.Share.Unc} on {booted.Share.MountPoint} (hidden from the system)",
            $"network:     {network}" +
                (lease is { } l ? $", DHCP lease from {l.Server} for {l.LeaseTime.TotalSeconds:0}s, renewed every {l.RenewalTime.TotalSeconds:0}s" : ", static (ip=)"),
            $"server:      {booted.Share.ServerAddress}" + (plan.Root.ServerAddress is null ? $" ({plan.Root.Server}, resolved by DNS)" : ""),
            $"integrity:   {Negotiated(cifsDebugData)} (asked: rd.cifs.integrity={plan.Integrity.Name()})",
            $"at the end:  {ending}") + "\n";
    }

    /// <summary>The session's protection as the kernel reports it: the share is the only cifs mount PID 1 has.</summary>
    private static string Negotiated(string? cifsDebugData) =>
        cifsDebugData is null ? "unknown (/proc/fs/cifs/DebugData cannot be read)"
            : DebugData.Sessions(cifsDebugData) is [var session, ..] ? "the session is " + session : "unknown (no cifs session)";
}
