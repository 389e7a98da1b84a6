using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// Clustered Samba on one machine: each node a <see cref="ServerNode"/> on the lab bridge, in whose
/// mount namespace /etc/ctdb, /run/ctdb and /var/lib/ctdb are the node's own directories: ctdbd's
/// paths are fixed outside its test mode, and its test mode does not move public addresses (so
/// smbd, which finds ctdbd by its socket in /run/ctdb, runs in the same mount namespace). The
/// cluster lock and the share are on this machine's filesystem, coherent for every node as ctdb(7)
/// asks. CTDB moves <see cref="PublicAddress"/> between the nodes (its 10.interface event script
/// adds it to the node's eth0 and sends gratuitous ARP and tickle ACKs to the clients of the node that died).
/// </summary>
public sealed class CtdbCluster : IDisposable
{
    public const string PublicAddress = LabNetwork.Subnet + ".100";

    private readonly LabNetwork _network;
    private readonly ServerNode[] _nodes;

    public string Directory { get; }
    public string SharePath { get; }

    /// <summary>ctdbd's keepalive (ctdb-tunables(7)): how soon a node that went silent is marked disconnected.</summary>
    public sealed record Tunables(int KeepaliveInterval = 5, int KeepaliveLimit = 5);

    public CtdbCluster(LabNetwork network, string directory, string sharePath, string password, int nodes = 2, Tunables? tunables = null)
    {
        Shell.Require("ctdbd", "ctdb");
        _network = network;
        Directory = directory;
        SharePath = sharePath;
        System.IO.Directory.CreateDirectory(sharePath);
        // The bind mounts need their targets on this machine, empty or not.
        foreach (var target in new[] { "/etc/ctdb", "/run/ctdb", "/var/lib/ctdb" }) System.IO.Directory.CreateDirectory(target);
        _nodes = new ServerNode[nodes];
        try
        {
            for (int i = 0; i < nodes; i++) _nodes[i] = Prepare(i, tunables ?? new Tunables());
            foreach (var node in _nodes) node.Run("ctdbd"); // a daemon: it logs to the file its ctdb.conf names (in the foreground, to standard error only)
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

    /// <summary>Node <paramref name="number"/>: its namespaces with CTDB's fixed paths bound to its own directories, and its ctdb configuration.</summary>
    private ServerNode Prepare(int number, Tunables tunables)
    {
        string directory = Path.Combine(Directory, $"node{number}");
        string etc = Path.Combine(directory, "etc"), run = Path.Combine(directory, "run"), var = Path.Combine(directory, "var");
        var node = new ServerNode(_network, $"ctdb{number}", $"{LabNetwork.Subnet}.{201 + number}", directory,
            [(etc, "/etc/ctdb"), (run, "/run/ctdb"), (var, "/var/lib/ctdb")], prepare: () =>
            {
                foreach (var sub in new[] { etc, run, var, Path.Combine(var, "volatile"), Path.Combine(var, "persistent"), Path.Combine(var, "state") })
                {
                    System.IO.Directory.CreateDirectory(sub);
                }
            });
        // The package's /etc/ctdb first: the event scripts source its functions file, and Debian enables the ones a
        // node needs (00.ctdb, 01.reclock, 05.system, 10.interface, which moves the public addresses). Not 50.samba:
        // it would start and stop smbd through the init system; the lab starts smbd itself.
        Shell.Run("cp", "-a", "/etc/ctdb/.", etc);
        if (File.Exists(Path.Combine(etc, "events/legacy/50.samba.script"))) File.Delete(Path.Combine(etc, "events/legacy/50.samba.script"));
        File.WriteAllText(Path.Combine(etc, "ctdb.conf"), $"""
            [logging]
              location = file:{directory}/ctdbd.log
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
        File.WriteAllText(Path.Combine(etc, "nodes"), string.Concat(Enumerable.Range(0, _nodes.Length).Select(n => $"{LabNetwork.Subnet}.{201 + n}\n")));
        File.WriteAllText(Path.Combine(etc, "public_addresses"), $"{PublicAddress}/{LabNetwork.PrefixLength} eth0\n");
        File.WriteAllText(Path.Combine(etc, "ctdb.tunables"), $"KeepaliveInterval={tunables.KeepaliveInterval}\nKeepaliveLimit={tunables.KeepaliveLimit}\n");
        return node;
    }

    /// <summary>smbd with clustering on (with it, Samba's tools need ctdbd running, so it starts once the cluster is healthy).</summary>
    private void StartSmbd(ServerNode node, string password) => node.StartSmbd(password, """
          clustering = yes
          netbios name = SMBROOTCLUSTER
        """, $"""
        [{SambaServer.ShareName}]
          path = {SharePath}
          read only = no
          valid users = {SambaServer.User}
          force user = root
        """);

    /// <summary>The ctdb tool on a node that is still up.</summary>
    public string Ctdb(int node, params string[] args)
    {
        return _nodes[node].Run(["ctdb", .. args]);
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
        _nodes[node].Kill();
        Shell.Run("ip", ["-n", _nodes[node].Netns, "addr", "del", $"{PublicAddress}/{LabNetwork.PrefixLength}", "dev", "eth0"], null, allowFailure: true);
    }

    /// <summary>
    /// A node dies silently (<see cref="ServerNode.Silence"/>); its processes' death frees the cluster
    /// lock it may hold (a dead machine's lock on a cluster filesystem is freed too). The other node
    /// hears only that its keepalives go unanswered (<see cref="Tunables"/>).
    /// </summary>
    public void Silence(int node) => _nodes[node].Silence();

    /// <summary>The server's own view from a node that is up: smbstatus in clustered mode shows every node's sessions and opens.</summary>
    public string Status(int node, params string[] args) => _nodes[node].Status(args);

    /// <summary>Waits until node <paramref name="node"/>'s smbstatus shows nothing of <paramref name="client"/>.</summary>
    public string WaitUntilReleased(int node, TimeSpan timeout, string client) => SambaServer.WaitUntilReleased(() => Status(node), timeout, client);

    public void Dispose()
    {
        foreach (var node in _nodes) node?.Dispose();
    }
}
