using SmbRoot.Boot;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Plan;

namespace SmbRoot.Guard;

/// <summary>What <c>init status</c> prints in guard mode.</summary>
public static class StatusText
{
    /// <param name="protection">what protects the share's messages now, as the kernel reports it (<see cref="DebugData.DescribeShare"/>)</param>
    /// <param name="overlay">the writable layer and its usage (<see cref="LayerWatch.Describe"/>), or null without rd.overlay=</param>
    /// <param name="residentKib">PID 1's resident memory (VmRSS), or null when /proc does not say</param>
    public static string Format(BootPlan plan, BootedRoot booted, int systemPid, string initKind, DhcpLease? lease, string ending, string protection,
        string timing, long? residentKib, string? overlay)
    {
        var network = booted.Network.Record;
        return string.Join('\n', new[] {
            "mode:        guard (SmbRoot is PID 1; the system's init runs in its own PID namespace)",
            $"system init: {plan.Init}, pid {systemPid} here ({initKind})",
            $"root:        {(booted.Image?.PathInShare is { } image ? $"{booted.Share.Unc}/{image}" : booted.Share.Unc)} ({booted.Image?.FileSystem ?? "cifs"}, " +
                (plan.Overlay is null ? $"{(plan.ReadOnly ? "ro" : "rw")})" : $"read-only golden image; the root is an overlay, {(plan.ReadOnly ? "ro" : "rw")})"),
            (booted.Image?.PathInShare is { } version && version != plan.Root.ImagePathInShare ? $"version:     {Path.GetFileName(version)} (named by {plan.Root.ImagePathInShare} at boot)" : null),
            (overlay is null ? null : $"overlay:     {overlay}"),
            $"loop device: {booted.Image?.Device ?? "none (the share is the root)"}",
            $"share:       {booted.Share.Unc} on {booted.Share.MountPoint} (hidden from the system)",
            $"network:     {network}" +
                (lease is { } l ? $", DHCP lease from {l.Server} for {l.LeaseTime.TotalSeconds:0}s, renewed every {l.RenewalTime.TotalSeconds:0}s"
                    : network.V4 is null ? "" : ", static (ip=)") +
                booted.Network.Ipv6From switch
                {
                    Network.Ipv6Origin.Router => ", IPv6 by SLAAC (the kernel keeps it from the router's advertisements)",
                    Network.Ipv6Origin.Dhcp6 => $", DHCPv6 lease from {booted.Network.Lease6!.Server} for {booted.Network.Lease6.ValidLifetime.TotalSeconds:0}s",
                    Network.Ipv6Origin.Static => ", IPv6 static (ip=)",
                    _ => "",
                },
            $"server:      {booted.Share.ServerAddress}" + (plan.Root.ServerAddress is null ? $" ({plan.Root.Server}, resolved by DNS)" : ""),
            (booted.Claim is { } claim ? $"ownership:   {claim.Describe()}" : "ownership:   shared read-only (no holder record)"),
            $"integrity:   {protection} (asked: rd.cifs.integrity={plan.Integrity.Name()})",
            $"boot:        {timing}",
            $"memory:      PID 1 (SmbRoot) resident {(residentKib is { } kib ? $"{kib / 1024.0:0.0} MiB" : "unknown")}",
            $"at the end:  {ending}"}.OfType<string>()) + "\n";
    }
}
