namespace SmbRoot.Lab;

/// <summary>
/// A network the test builds: its own network namespace with a bridge, the server's address on
/// the bridge, and a tap device per guest NIC. Guests on it reach the server at
/// <see cref="ServerAddress"/> or <see cref="ServerAddress6"/> on the real SMB port, as machines on a LAN do.
/// </summary>
public sealed class LabNetwork : IDisposable
{
    public const string Bridge = "br0";
    public const string Subnet = "192.168.77";
    public const string ServerAddress = Subnet + ".1";
    public const int PrefixLength = 24;

    /// <summary>The bridge's IPv6 prefix (RFC 3849's documentation prefix, so a dual-stack guest prefers it to IPv4 as RFC 6724 says) and the server's address in it.</summary>
    public const string Prefix6 = "2001:db8:77::";
    public const string ServerAddress6 = Prefix6 + "1";

    /// <summary>The bridge's fixed link-local address, for a root= that names the server by it.</summary>
    public const string ServerLinkLocal = "fe80::1";

    private int _taps;

    public string Namespace { get; }

    public LabNetwork(string name)
    {
        Shell.Require("ip", "iproute2");
        Namespace = name;
        Shell.Run("ip", ["netns", "del", name], null, allowFailure: true);
        Shell.Run("ip", "netns", "add", name);
        Ip("link", "set", "lo", "up");
        Ip("link", "add", Bridge, "type", "bridge");
        Ip("addr", "add", $"{ServerAddress}/{PrefixLength}", "dev", Bridge);
        // nodad: the server's address is usable at once, so smbd and dnsmasq can bind to it.
        Ip("addr", "add", $"{ServerAddress6}/64", "dev", Bridge, "nodad");
        Ip("addr", "add", $"{ServerLinkLocal}/64", "dev", Bridge, "nodad");
        Ip("link", "set", Bridge, "up");
    }

    private void Ip(params string[] args) => Shell.Run("ip", ["-n", Namespace, .. args]);

    /// <summary>A new tap device for one guest NIC: on the bridge, or <paramref name="isolated"/> (up, but connected to nothing).</summary>
    public GuestNic AddNic(string model = "virtio-net-pci", bool isolated = false)
    {
        string tap = "tap" + _taps;
        Ip("tuntap", "add", "dev", tap, "mode", "tap");
        if (!isolated) Ip("link", "set", tap, "master", Bridge);
        Ip("link", "set", tap, "up");
        string mac = $"52:54:00:77:00:{_taps + 10:x2}";
        _taps++;
        return new GuestNic(model, $"tap,ifname={tap},script=no,downscript=no", mac);
    }

    /// <summary>Pulls the cable: the guest's tap leaves the bridge (its link stays up, as when a switch port dies upstream).</summary>
    public void Cut(GuestNic nic) => Ip("link", "set", TapOf(nic), "nomaster");

    /// <summary>Plugs the cable back: the tap joins the bridge again.</summary>
    public void Reconnect(GuestNic nic) => Ip("link", "set", TapOf(nic), "master", Bridge);

    private static string TapOf(GuestNic nic) =>
        nic.Backend.Split(',').FirstOrDefault(p => p.StartsWith("ifname=", StringComparison.Ordinal))?["ifname=".Length..]
            ?? throw new ArgumentException($"{nic.Backend} is not a tap on this network");

    /// <summary>
    /// Forwards the SMB port from the bridge's link-local address to the server's global one: smbd
    /// binds no link-local address (with bind interfaces only, Samba leaves them out), and a guest
    /// that names the server as fe80::1%eth0 must still reach it. Stops when disposed.
    /// </summary>
    public IDisposable ForwardSmbFromLinkLocal()
    {
        string socat = Shell.Require("socat", "socat");
        string[] command = Exec([socat, $"TCP6-LISTEN:445,bind=[{ServerLinkLocal}%{Bridge}],reuseaddr,fork", $"TCP6:[{ServerAddress6}]:445"]);
        var process = System.Diagnostics.Process.Start(command[0], command[1..]);
        Thread.Sleep(300);
        if (process.HasExited) throw new InvalidOperationException($"socat exited with {process.ExitCode}");
        return new Stopper(process);
    }

    private sealed class Stopper(System.Diagnostics.Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            process.Dispose();
        }
    }

    /// <summary>The argv prefix that runs a command inside the namespace.</summary>
    public string[] Exec(params string[] command) => ["ip", "netns", "exec", Namespace, .. command];

    public void Dispose() => Shell.Run("ip", ["netns", "del", Namespace], null, allowFailure: true);
}
