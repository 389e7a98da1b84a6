using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// Clustered Samba on one machine: each node is a network namespace on the lab bridge (a veth
/// pair, the node's own address) and a mount namespace of its own, in which /etc/ctdb, /run/ctdb
/// and /var/lib/ctdb are the node's directories: ctdbd's paths are fixed outside its test mode,
/// and its test mode does not move public addresses (so smbd, which finds ctdbd by its socket in
/// /run/ctdb, runs in the same mount namespace). The cluster lock and the share are on this
/// machine's filesystem, coherent for every node as ctdb(7) asks. CTDB moves
/// <see cref="PublicAddress"/> between the nodes (its 10.interface event script adds it to the
/// node's eth0 and sends gratuitous ARP and tickle ACKs to the clients of the node that died).
/// </summary>
public sealed class CtdbCluster : IDisposable
{
    public const string PublicAddress = LabNetwork.Subnet + ".100";

    private readonly LabNetwork _network;
    private readonly Node[] _nodes;

    public string Directory { get; }
    public string SharePath { get; }

    /// <summary>ctdbd's keepalive (ctdb-tunables(7)): how soon a node that went silent is marked disconnected.</summary>
    public sealed record Tunables(int KeepaliveInterval = 5, int KeepaliveLimit = 5);

    private sealed class Node(int number, string directory, string netns)
    {
        public int Number { get; } = number;
        public string Directory { get; } = directory;
        public string Netns { get; } = netns;
        public string Address => $"{LabNetwork.Subnet}.{201 + Number}";
        public string Veth => $"ctdb{Number}";
        public string SmbConf => Path.Combine(Directory, "smb.conf");
        public Process? Holder { get; set; }
        public Process? Smbd { get; set; }

        /// <summary>The argv that runs a command in this node's network and mount namespaces.</summary>
        public string[] Exec(params string[] command) =>
            ["nsenter", "-t", Holder!.Id.ToString(), "-m", "-n", .. command];
    }

    public CtdbCluster(LabNetwork network, string directory, string sharePath, string password, int nodes = 2, Tunables? tunables = null)
    {
        Shell.Require("ctdbd", "ctdb");
        Shell.Require("smbd", "samba");
        Shell.Require("nsenter", "util-linux");
        _network = network;
        Directory = directory;
        SharePath = sharePath;
        System.IO.Directory.CreateDirectory(sharePath);
        // The bind mounts need their targets on this machine, empty or not.
        foreach (var target in new[] { "/etc/ctdb", "/run/ctdb", "/var/lib/ctdb" }) System.IO.Directory.CreateDirectory(target);
        _nodes = Enumerable.Range(0, nodes).Select(i => new Node(i, Path.Combine(directory, $"node{i}"), $"{network.Namespace}-ctdb{i}")).ToArray();
        try
        {
            foreach (var node in _nodes) Prepare(node, tunables ?? new Tunables());
            foreach (var node in _nodes) StartCtdbd(node);
            WaitUntilHealthy(TimeSpan.FromSeconds(90));
            foreach (var node in _nodes) StartSmbd(node, password);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The kernel command line of guest number <paramref name="guest"/> (192.168.77.10+N) booting <paramref name="image"/> from the cluster's public address.</summary>
    public static string CommandLine(string image, int guest, string extra = "") =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@{PublicAddress}/{SambaServer.ShareName}/{image} " +
        $"ip={LabNetwork.Subnet}.{10 + guest}::{LabNetwork.ServerAddress}:255.255.255.0:guest{guest}:eth0:off rd.retry=0 {extra}".TrimEnd();

    private void Prepare(Node node, Tunables tunables)
    {
        Shell.Run("ip", ["netns", "del", node.Netns], null, allowFailure: true);
        Shell.Run("ip", "netns", "add", node.Netns);
        Shell.Run("ip", ["-n", _network.Namespace, "link", "del", node.Veth], null, allowFailure: true);
        Shell.Run("ip", "-n", _network.Namespace, "link", "add", node.Veth, "type", "veth", "peer", "name", "eth0", "netns", node.Netns);
        Shell.Run("ip", "-n", _network.Namespace, "link", "set", node.Veth, "master", LabNetwork.Bridge, "up");
        Shell.Run("ip", "-n", node.Netns, "link", "set", "lo", "up");
        Shell.Run("ip", "-n", node.Netns, "addr", "add", $"{node.Address}/{LabNetwork.PrefixLength}", "dev", "eth0");
        Shell.Run("ip", "-n", node.Netns, "link", "set", "eth0", "up");

        if (System.IO.Directory.Exists(node.Directory)) System.IO.Directory.Delete(node.Directory, recursive: true);
        string etc = Path.Combine(node.Directory, "etc"), run = Path.Combine(node.Directory, "run"), var = Path.Combine(node.Directory, "var");
        foreach (var sub in new[] { etc, run, var, Path.Combine(var, "volatile"), Path.Combine(var, "persistent"), Path.Combine(var, "state") })
        {
            System.IO.Directory.CreateDirectory(sub);
        }
        // The package's /etc/ctdb first: the event scripts source its functions file, and Debian enables the ones a
        // node needs (00.ctdb, 01.reclock, 05.system, 10.interface, which moves the public addresses). Not 50.samba:
        // it would start and stop smbd through the init system; the lab starts smbd itself.
        Shell.Run("cp", "-a", "/etc/ctdb/.", etc);
        if (File.Exists(Path.Combine(etc, "events/legacy/50.samba.script"))) File.Delete(Path.Combine(etc, "events/legacy/50.samba.script"));
        File.WriteAllText(Path.Combine(etc, "ctdb.conf"), $"""
            [logging]
              location = file:{node.Directory}/ctdbd.log
              log level = NOTICE
            [cluster]
              cluster lock = !/usr/libexec/ctdb/ctdb_mutex_fcntl_helper {Path.Combine(Directory, "cluster.lock")}
              node address = {node.Address}
            [database]
              volatile database directory = /var/lib/ctdb/volatile
              persistent database directory = /var/lib/ctdb/persistent
              state database directory = /var/lib/ctdb/state
            [legacy]
              realtime scheduling = false
            """);
        File.WriteAllText(Path.Combine(etc, "nodes"), string.Concat(_nodes.Select(n => n.Address + "\n")));
        File.WriteAllText(Path.Combine(etc, "public_addresses"), $"{PublicAddress}/{LabNetwork.PrefixLength} eth0\n");
        File.WriteAllText(Path.Combine(etc, "ctdb.tunables"), $"KeepaliveInterval={tunables.KeepaliveInterval}\nKeepaliveLimit={tunables.KeepaliveLimit}\n");
        foreach (var sub in new[] { "private", "lock", "state", "cache", "smbd-run", "ncalrpc" }) System.IO.Directory.CreateDirectory(Path.Combine(node.Directory, sub));
        File.WriteAllText(node.SmbConf, $"""
            [global]
              clustering = yes
              netbios name = SMBROOTCLUSTER
              server role = standalone server
              disable netbios = yes
              private dir = {node.Directory}/private
              lock directory = {node.Directory}/lock
              state directory = {node.Directory}/state
              cache directory = {node.Directory}/cache
              pid directory = {node.Directory}/smbd-run
              ncalrpc dir = {node.Directory}/ncalrpc
              passdb backend = tdbsam:{node.Directory}/private/passdb.tdb
              log file = {node.Directory}/smbd.log
              log level = 2
              server min protocol = SMB2_10
              map to guest = never
              load printers = no
              printcap name = /dev/null
              disable spoolss = yes
            [{SambaServer.ShareName}]
              path = {SharePath}
              read only = no
              valid users = {SambaServer.User}
              force user = root
            """);

        // The node's mount namespace, held open by a process that only sleeps; everything of the node runs in it.
        string mounts = string.Join("; ", new[] { (etc, "/etc/ctdb"), (run, "/run/ctdb"), (var, "/var/lib/ctdb") }.Select(m => $"mount --bind {m.Item1} {m.Item2}"));
        node.Holder = Process.Start("ip", ["netns", "exec", node.Netns, "unshare", "--mount", "--propagation", "private", "sh", "-c", $"{mounts} && exec sleep infinity"])
            ?? throw new InvalidOperationException("cannot start the node's namespace holder");
        var clock = Stopwatch.StartNew();
        while (!File.ReadAllText($"/proc/{node.Holder.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal))
        {
            if (node.Holder.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"node {node.Number}'s mount namespace did not come up");
            Thread.Sleep(50);
        }
    }

    /// <summary>ctdbd as a daemon, which logs to the file its ctdb.conf names (in the foreground it logs to standard error only).</summary>
    private static void StartCtdbd(Node node)
    {
        var command = node.Exec("ctdbd");
        Shell.Run(command[0], command[1..]);
    }

    /// <summary>The user (in the node's own passdb; with clustering on, Samba's tools need ctdbd running), then smbd.</summary>
    private static void StartSmbd(Node node, string password)
    {
        var add = node.Exec("smbpasswd", "-c", node.SmbConf, "-s", "-a", SambaServer.User);
        Shell.Run(add[0], add[1..], $"{password}\n{password}\n");
        var command = node.Exec("smbd", "--foreground", "--no-process-group", "-s", node.SmbConf);
        node.Smbd = Quiet(command);
        var clock = Stopwatch.StartNew();
        var listening = node.Exec("ss", "-H", "-l", "-t", "-n", "sport = :445");
        while (Shell.Run(listening[0], listening[1..]).Trim().Length == 0)
        {
            if (node.Smbd.HasExited) throw new InvalidOperationException($"smbd of node {node.Number} exited; see {node.Directory}/smbd.log");
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"smbd of node {node.Number} did not listen; see {node.Directory}/smbd.log");
            Thread.Sleep(200);
        }
    }

    private static Process Quiet(string[] command)
    {
        var process = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"cannot start {command[^1]}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The ctdb tool on a node that is still up.</summary>
    public string Ctdb(int node, params string[] args)
    {
        var command = _nodes[node].Exec(["ctdb", .. args]);
        return Shell.Run(command[0], command[1..]);
    }

    private void WaitUntilHealthy(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string status = "";
        while (clock.Elapsed < timeout)
        {
            try
            {
                status = Ctdb(0, "status");
                if (Regex.Matches(status, @"^pnn:\d+ \S+\s+OK", RegexOptions.Multiline).Count == _nodes.Length && ServingNode() is not null) return;
            }
            catch (InvalidOperationException e)
            {
                status = e.Message;
            }
            Thread.Sleep(500);
        }
        throw new TimeoutException($"the CTDB cluster was not healthy within {timeout.TotalSeconds:0} s:\n{status}\n(see {Directory}/node*/ctdbd.log)");
    }

    /// <summary>The node that holds the public address now, as the cluster says (ctdb ip), asked of <paramref name="askNode"/>.</summary>
    public int? ServingNode(int askNode = 0)
    {
        var match = Regex.Match(Ctdb(askNode, "ip"), $@"^{Regex.Escape(PublicAddress)}\s+(-?\d+)", RegexOptions.Multiline);
        return match.Success && int.Parse(match.Groups[1].Value) is >= 0 and var pnn ? pnn : null;
    }

    /// <summary>What <see cref="FailOver"/> did: the node that died, the one that took its address, a clock running since the death, and how long the address took to move.</summary>
    public sealed record Takeover(int Dead, int Survivor, Stopwatch SinceDeath, TimeSpan Moved);

    /// <summary>
    /// The node serving the public address dies (<see cref="Silence"/> or <see cref="Kill"/>), and this
    /// waits until the other node holds the address, a minute at most (host clock).
    /// </summary>
    public Takeover FailOver(bool silently = false)
    {
        int serving = ServingNode() ?? throw new InvalidOperationException("no node serves the public address");
        int survivor = 1 - serving; // two nodes
        var clock = Stopwatch.StartNew();
        if (silently) Silence(serving);
        else Kill(serving);
        while (ServingNode(survivor) != survivor)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException("the surviving node did not take the public address within a minute");
            Thread.Sleep(100);
        }
        return new Takeover(serving, survivor, clock, clock.Elapsed);
    }

    /// <summary>
    /// A node dies as a daemon crash does: ctdbd and smbd (and their children) SIGKILLed. Its kernel
    /// lives on, so its connections are reset and the other node hears at once that it is gone.
    /// Then the node drops the public address, as the package's ctdb-crash-cleanup.sh does when
    /// ctdbd is not running: otherwise its kernel would still answer ARP for it and refuse new
    /// connections, and a machine that boots meanwhile could reach the dead node instead of the live one.
    /// </summary>
    public void Kill(int node)
    {
        StopProcesses(_nodes[node]);
        Shell.Run("ip", ["-n", _nodes[node].Netns, "addr", "del", $"{PublicAddress}/{LabNetwork.PrefixLength}", "dev", "eth0"], null, allowFailure: true);
    }

    /// <summary>Everything of the node but its namespace holder: ctdbd, its event daemon and helpers, smbd and its children.</summary>
    private static void StopProcesses(Node node)
    {
        foreach (var pid in ProcessesIn(node).Where(pid => pid != node.Holder!.Id)) Shell.Run("kill", ["-KILL", pid.ToString()], null, allowFailure: true);
        node.Smbd?.WaitForExit(5000);
    }

    /// <summary>
    /// A node dies silently, as a machine that loses power does: its link to the bridge goes down
    /// first, so not a packet leaves (no reset, no FIN), then its processes die, which frees the
    /// cluster lock it may hold (a dead machine's lock on a cluster filesystem is freed too). The
    /// other node hears only that its keepalives go unanswered (<see cref="Tunables"/>).
    /// </summary>
    public void Silence(int node)
    {
        Shell.Run("ip", "-n", _network.Namespace, "link", "set", _nodes[node].Veth, "down");
        StopProcesses(_nodes[node]);
    }

    /// <summary>The processes in a node's mount namespace (the holder's), from /proc.</summary>
    private static IEnumerable<int> ProcessesIn(Node node)
    {
        string ns = new FileInfo($"/proc/{node.Holder!.Id}/ns/mnt").LinkTarget ?? "";
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string? link;
            try { link = new FileInfo(Path.Combine(dir, "ns/mnt")).LinkTarget; }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (link == ns) yield return pid;
        }
    }

    /// <summary>The server's own view from a node that is up: smbstatus in clustered mode shows every node's sessions and opens.</summary>
    public string Status(int node, params string[] args)
    {
        var command = _nodes[node].Exec(["smbstatus", "-s", _nodes[node].SmbConf, .. args]);
        return Shell.Run(command[0], command[1..]);
    }

    /// <summary>Waits until node <paramref name="node"/>'s smbstatus shows nothing of <paramref name="client"/>.</summary>
    public string WaitUntilReleased(int node, TimeSpan timeout, string client) => SambaServer.WaitUntilReleased(() => Status(node), timeout, client);

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            if (node.Holder is { HasExited: false })
            {
                StopProcesses(node);
                node.Holder.Kill(entireProcessTree: true);
                node.Holder.WaitForExit(5000);
            }
            Shell.Run("ip", ["-n", _network.Namespace, "link", "del", node.Veth], null, allowFailure: true);
            Shell.Run("ip", ["netns", "del", node.Netns], null, allowFailure: true);
        }
    }
}
