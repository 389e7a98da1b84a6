using System.Diagnostics;

namespace SmbRoot.Lab;

/// <summary>
/// A file server of its own on the lab bridge: a network namespace (a veth on the bridge, its own
/// address) and a mount namespace, held open by a process that only sleeps, in which its smbd and
/// anything else of the server run (<see cref="Exec"/>). Its directory holds its smb.conf, state and
/// log. A node dies as a crash (<see cref="Kill"/>) or as a machine losing power (<see cref="Silence"/>).
/// <see cref="CtdbCluster"/>'s nodes and <see cref="DfsTargets"/>' servers are these.
/// </summary>
public sealed class ServerNode : IDisposable
{
    private readonly LabNetwork _network;
    private readonly Process _holder;
    private Process? _smbd;

    public string Name { get; }
    public string Address { get; }
    public string Directory { get; }
    public string Netns => $"{_network.Namespace}-{Name}";
    public string SmbConf => Path.Combine(Directory, "smb.conf");

    /// <param name="name">short, unique in the lab: the namespace's suffix and the veth's name on the bridge</param>
    /// <param name="binds">directories bound over paths in the node's mount namespace (CTDB's fixed paths)</param>
    /// <param name="prepare">makes what goes into <paramref name="directory"/> before the binds (which need their sources)</param>
    public ServerNode(LabNetwork network, string name, string address, string directory, IReadOnlyList<(string Source, string Target)>? binds = null, Action? prepare = null)
    {
        Shell.Require("smbd", "samba");
        Shell.Require("nsenter", "util-linux");
        (_network, Name, Address, Directory) = (network, name, address, directory);
        Shell.Run("ip", ["netns", "del", Netns], null, allowFailure: true);
        Shell.Run("ip", "netns", "add", Netns);
        Shell.Run("ip", ["-n", network.Namespace, "link", "del", Name], null, allowFailure: true);
        Shell.Run("ip", "-n", network.Namespace, "link", "add", Name, "type", "veth", "peer", "name", "eth0", "netns", Netns);
        Shell.Run("ip", "-n", network.Namespace, "link", "set", Name, "master", LabNetwork.Bridge, "up");
        Shell.Run("ip", "-n", Netns, "link", "set", "lo", "up");
        Shell.Run("ip", "-n", Netns, "addr", "add", $"{address}/{LabNetwork.PrefixLength}", "dev", "eth0");
        Shell.Run("ip", "-n", Netns, "link", "set", "eth0", "up");

        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
        System.IO.Directory.CreateDirectory(directory);
        prepare?.Invoke();

        string mounts = string.Concat((binds ?? []).Select(b => $"mount --bind {b.Source} {b.Target} && "));
        _holder = Process.Start("ip", ["netns", "exec", Netns, "unshare", "--mount", "--propagation", "private", "sh", "-c", $"{mounts}exec sleep infinity"])
            ?? throw new InvalidOperationException($"cannot start {name}'s namespace holder");
        var clock = Stopwatch.StartNew();
        while (!File.ReadAllText($"/proc/{_holder.Id}/cmdline").StartsWith("sleep", StringComparison.Ordinal))
        {
            if (_holder.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"{name}'s mount namespace did not come up");
            Thread.Sleep(50);
        }
    }

    /// <summary>The argv that runs a command in this node's network and mount namespaces.</summary>
    public string[] Exec(params string[] command) => ["nsenter", "-t", _holder.Id.ToString(), "-m", "-n", .. command];

    /// <summary>Runs a command in the node and returns its output.</summary>
    public string Run(params string[] command)
    {
        var argv = Exec(command);
        return Shell.Run(argv[0], argv[1..]);
    }

    /// <summary>
    /// Writes smb.conf (the node's own directories and log, <paramref name="global"/>'s lines and
    /// <paramref name="shares"/>), adds the lab's user with <paramref name="password"/> and starts
    /// smbd; returns once it listens.
    /// </summary>
    public void StartSmbd(string password, string global, string shares)
    {
        File.WriteAllText(SmbConf, $"""
            [global]
            {SambaServer.OwnGlobals(Directory, "smbd-run")}
            {global}
            {shares}
            """);
        var add = Exec("smbpasswd", "-c", SmbConf, "-s", "-a", SambaServer.User);
        Shell.Run(add[0], add[1..], $"{password}\n{password}\n");
        _smbd = Shell.StartQuiet(Exec("smbd", "--foreground", "--no-process-group", "-s", SmbConf));
        var clock = Stopwatch.StartNew();
        while (Run("ss", "-H", "-l", "-t", "-n", "sport = :445").Trim().Length == 0)
        {
            if (_smbd.HasExited) throw new InvalidOperationException($"smbd of {Name} exited; see {Directory}/smbd.log");
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"smbd of {Name} did not listen; see {Directory}/smbd.log");
            Thread.Sleep(200);
        }
    }

    /// <summary>
    /// The node's daemons die as in a crash: everything in its mount namespace but the holder is
    /// SIGKILLed. Its kernel lives on, so its connections are reset.
    /// </summary>
    public void Kill()
    {
        foreach (var pid in Processes().Where(pid => pid != _holder.Id)) Shell.Run("kill", ["-KILL", pid.ToString()], null, allowFailure: true);
        _smbd?.WaitForExit(5000);
    }

    /// <summary>
    /// The node dies silently, as a machine that loses power does: its link to the bridge goes down
    /// first, so not a packet leaves (no reset, no FIN), then its daemons die.
    /// </summary>
    public void Silence()
    {
        Shell.Run("ip", "-n", _network.Namespace, "link", "set", Name, "down");
        Kill();
    }

    /// <summary>The processes in the node's mount namespace (the holder's), from /proc.</summary>
    private IEnumerable<int> Processes()
    {
        string ns = new FileInfo($"/proc/{_holder.Id}/ns/mnt").LinkTarget ?? "";
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

    /// <summary>The server's own view: smbstatus with <paramref name="args"/>.</summary>
    public string Status(params string[] args) => Run(["smbstatus", "-s", SmbConf, .. args]);

    public void Dispose()
    {
        if (!_holder.HasExited)
        {
            Kill();
            _holder.Kill(entireProcessTree: true);
            _holder.WaitForExit(5000);
        }
        Shell.Run("ip", ["-n", _network.Namespace, "link", "del", Name], null, allowFailure: true);
        Shell.Run("ip", ["netns", "del", Netns], null, allowFailure: true);
    }
}
