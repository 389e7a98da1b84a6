using System.Diagnostics;

namespace SmbRoot.Lab;

/// <summary>What dnsmasq offers IPv6 guests on the bridge.</summary>
public enum Ipv6Service
{
    /// <summary>Nothing: no router advertisements, no DHCPv6.</summary>
    None,

    /// <summary>Router advertisements with an autonomous prefix (SLAAC) and stateless DHCPv6 for the DNS server.</summary>
    Slaac,

    /// <summary>Router advertisements that say "managed" (the prefix on-link only) and DHCPv6 addresses from ::100-::1ff.</summary>
    Dhcp6,
}

/// <summary>
/// dnsmasq as the lab network's DHCP and DNS server, on the bridge inside the namespace: leases
/// from .100-.150 with the server as router and DNS server, domain lab.example, and the SMB
/// server's name <see cref="ServerName"/> with an A and an AAAA record; router advertisements and
/// DHCPv6 when asked. No files of the host's are read or written.
/// </summary>
public sealed class Dnsmasq : IDisposable
{
    public const string Domain = "lab.example";
    public const string ServerName = "files." + Domain;
    private readonly Process _process;

    public string Log => _log.ToString();
    private readonly System.Text.StringBuilder _log = new();

    /// <param name="leaseTime">dnsmasq's lease time; its minimum is 2 minutes</param>
    /// <param name="router">the router option it hands out</param>
    /// <param name="ipv6">router advertisements and DHCPv6, or none</param>
    /// <param name="serverAddress6">the AAAA record of <see cref="ServerName"/>: the server's, or one nothing answers on</param>
    /// <param name="routerLifetime">the router lifetime in the advertisements: 0 says "no default route through me"</param>
    /// <param name="dnsServers6">the DHCPv6 DNS server option, as dnsmasq writes it</param>
    /// <param name="extraOptions">more dnsmasq options, e.g. <c>--dhcp-option-force=option:T1,5</c> for a hostile T1</param>
    public Dnsmasq(LabNetwork network, string leaseTime = "1h", string router = LabNetwork.ServerAddress, Ipv6Service ipv6 = Ipv6Service.None,
        string serverAddress6 = LabNetwork.ServerAddress6, int routerLifetime = 1800, string dnsServers6 = $"[{LabNetwork.ServerAddress6}]",
        params string[] extraOptions)
    {
        string[] sixOptions = ipv6 switch
        {
            // ra-param: an advertisement every 5 s and a router lifetime, so guests get a default route.
            Ipv6Service.Slaac => ["--enable-ra", $"--ra-param={LabNetwork.Bridge},5,{routerLifetime}", $"--dhcp-range={LabNetwork.Prefix6},ra-stateless,64,{leaseTime}"],
            Ipv6Service.Dhcp6 => ["--enable-ra", $"--ra-param={LabNetwork.Bridge},5,{routerLifetime}", $"--dhcp-range={LabNetwork.Prefix6}100,{LabNetwork.Prefix6}1ff,64,{leaseTime}"],
            _ => [],
        };
        string dnsmasq = Shell.Require("dnsmasq", "dnsmasq-base");
        string[] command = network.Exec([dnsmasq, "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
            "--no-resolv", "--no-hosts", "--leasefile-ro", "--log-dhcp", "--log-queries",
            $"--interface={LabNetwork.Bridge}", "--bind-interfaces", "--except-interface=lo",
            $"--dhcp-range={LabNetwork.Subnet}.100,{LabNetwork.Subnet}.150,255.255.255.0,{leaseTime}",
            $"--dhcp-option=option:router,{router}", $"--dhcp-option=option:dns-server,{LabNetwork.ServerAddress}",
            $"--domain={Domain}", $"--address=/{ServerName}/{LabNetwork.ServerAddress}", $"--address=/{ServerName}/{serverAddress6}",
            $"--dhcp-option=option6:dns-server,{dnsServers6}", "--pid-file=", .. sixOptions, .. extraOptions]);
        var info = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dnsmasq");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Thread.Sleep(500);
        if (_process.HasExited) throw new InvalidOperationException($"dnsmasq exited with {_process.ExitCode}:\n{Log}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
