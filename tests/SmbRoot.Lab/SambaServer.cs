using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// A private smbd with its own configuration, state and port, so it never touches the host's
/// Samba: on 127.0.0.1 and a free port, which QEMU's user network shows the guest as 10.0.2.2:PORT,
/// or on a <see cref="LabNetwork"/>'s bridge address and port 445.
/// </summary>
public sealed class SambaServer : IDisposable
{
    public const string ShareName = "boot";
    public const string User = "smbroot";
    public const string Password = "s3cret, with a comma";

    private Process _smbd;

    public string Directory { get; }
    public string SharePath => Path.Combine(Directory, "share");
    public string ConfigPath => Path.Combine(Directory, "smb.conf");
    public int Port { get; }
    private readonly LabNetwork? _network;
    private string Address => _network is null ? "127.0.0.1" : LabNetwork.ServerAddress;

    /// <summary>The user's password on this server: <see cref="Password"/> unless the lab chose another.</summary>
    public string UserPassword { get; }

    /// <param name="profiling">smbd counts its requests, bytes and CPU (<see cref="Profile"/>): for the bench, not the tests</param>
    public SambaServer(string directory, LabNetwork? network = null, string password = Password, bool profiling = false)
    {
        _network = network;
        UserPassword = password;
        Directory = directory;
        string smbd = Shell.Require("smbd", "samba");
        Shell.Require("smbstatus", "samba");
        System.IO.Directory.CreateDirectory(SharePath);
        Port = network is null ? FreePort() : 445;
        File.WriteAllText(ConfigPath, $"""
            [global]
            {OwnGlobals(directory, "run")}
              smb ports = {Port}
              interfaces = {Address}{(network is null ? "" : " " + LabNetwork.ServerAddress6)}
              bind interfaces only = yes
              max log size = 20000{(profiling ? "\n  smbd profiling level = on" : "")}
            [{ShareName}]
              path = {SharePath}
              read only = no
              valid users = {User}
              force user = root
            """);
        EnsureUnixUser();
        Shell.Run("smbpasswd", ["-c", ConfigPath, "-s", "-a", User], $"{password}\n{password}\n");
        _smbd = Start(smbd);
    }

    private Process Start(string smbd)
    {
        // Its log goes to smbd.log (log file= in OwnGlobals), which ./build.sh test shows when a test fails.
        string[] command = [smbd, "--foreground", "--no-process-group", "-s", ConfigPath];
        if (_network is not null) command = _network.Exec(command);
        _smbd = Shell.StartQuiet(command);
        WaitForPort();
        return _smbd;
    }

    /// <summary>
    /// The server dies (SIGKILL to smbd and every child serving a client: the kernel resets their
    /// connections) and, <paramref name="downFor"/> later, starts again with the same state;
    /// <paramref name="whileDown"/> runs in between (an administrator's mistake, say).
    /// </summary>
    public void Crash(TimeSpan downFor, Action? whileDown = null)
    {
        Stop(signal: "-KILL");
        whileDown?.Invoke();
        Thread.Sleep(downFor);
        Start(Shell.Require("smbd", "samba"));
    }

    private void Stop(string signal)
    {
        try
        {
            if (!_smbd.HasExited)
            {
                _smbd.Kill(entireProcessTree: true);
                _smbd.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        // smbd forks a child per client; those are in its process group only without
        // --no-process-group, so stop any that the pid file directory still names.
        Shell.Run("pkill", ["-f", signal, $"smbd.*{ConfigPath}"], null, allowFailure: true);
        _smbd.Dispose();
    }

    /// <summary>
    /// The smb.conf [global] lines that keep a private smbd in <paramref name="directory"/> (its state,
    /// passdb, log and pid file, the last in <paramref name="pidDirectory"/>) and to what the lab needs
    /// of it, with those directories made. This server's and each <see cref="ServerNode"/>'s.
    /// </summary>
    internal static string OwnGlobals(string directory, string pidDirectory)
    {
        foreach (var sub in new[] { "private", "lock", "state", "cache", pidDirectory, "ncalrpc" }) System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
        return $"""
              server role = standalone server
              disable netbios = yes
              private dir = {directory}/private
              lock directory = {directory}/lock
              state directory = {directory}/state
              cache directory = {directory}/cache
              pid directory = {directory}/{pidDirectory}
              ncalrpc dir = {directory}/ncalrpc
              passdb backend = tdbsam:{directory}/private/passdb.tdb
              log file = {directory}/smbd.log
              log level = 2
              server min protocol = SMB2_10
              map to guest = never
              load printers = no
              printcap name = /dev/null
              disable spoolss = yes
            """;
    }

    /// <summary>Samba maps the SMB user to the Unix user of the same name; share access is forced to root.</summary>
    private static void EnsureUnixUser()
    {
        try { Shell.Run("id", User); }
        catch (InvalidOperationException)
        {
            Shell.Run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", User);
        }
    }

    /// <summary>A TCP port nothing listens on at the moment.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void WaitForPort()
    {
        var clock = Stopwatch.StartNew();
        string[] listening = ["ss", "-H", "-l", "-t", "-n", $"src {Address}:{Port}"];
        if (_network is not null) listening = _network.Exec(listening);
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_smbd.HasExited) throw new InvalidOperationException($"smbd exited with {_smbd.ExitCode}; see {Directory}/smbd.log");
            if (Shell.Run(listening[0], listening[1..]).Trim().Length > 0) return;
            Thread.Sleep(200);
        }
        throw new InvalidOperationException($"smbd did not listen on {Address}:{Port} within 30s; see {Directory}/smbd.log");
    }

    /// <summary>The server's own view: sessions, shares and locked (open) files, from smbstatus.</summary>
    public string Status() => Shell.Run("smbstatus", "-s", ConfigPath);

    /// <summary>smbd's counters since it started, all its processes together (smbstatus -P; smbd profiling level = on).</summary>
    public SmbProfile Profile() => SmbProfile.Parse(Shell.Run("smbstatus", "-s", ConfigPath, "-P"));

    /// <summary>Open files only (smbstatus -L).</summary>
    public string OpenFiles() => Shell.Run("smbstatus", "-s", ConfigPath, "-L");

    /// <summary>The sessions the server has now: a line each in smbstatus --brief, naming the dialect.</summary>
    public int Sessions() => Shell.Run("smbstatus", "-s", ConfigPath, "-b").Split('\n').Count(line => line.Contains(" SMB3"));

    /// <summary>
    /// The files <paramref name="client"/> has open, as the server sees them, each with its oplock or
    /// lease ("NONE", "LEASE(RWH)"): smbstatus names the smbd serving each client address, and the
    /// pid of the smbd that holds each open file.
    /// </summary>
    public IReadOnlyList<(string Name, string Lease)> OpenedBy(string client)
    {
        string status = Status();
        var pids = Regex.Matches(status, $@"^(\d+)\s+\S+\s+\S+\s+{Regex.Escape(client)} \(", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        return status.Split('\n')
            .Select(line => Regex.Split(line.Trim(), @"\s{2,}")) // Pid, User(ID), DenyMode, Access, R/W, Oplock, SharePath, Name, Time
            .Where(columns => columns.Length >= 8 && columns[2].StartsWith("DENY_") && pids.Contains(columns[0]))
            .Select(columns => (columns[7], columns[5]))
            .ToList();
    }

    /// <summary>
    /// Waits until the server shows no session, no tree connection and no open file from any
    /// client (the lab's guests are its only clients), or none of <paramref name="client"/>'s;
    /// returns the last smbstatus, or throws with it.
    /// </summary>
    /// <param name="client">only this client's address must be gone (a lab bridge with other guests; their opens are not told apart)</param>
    public string WaitUntilReleased(TimeSpan timeout, string? client = null) => WaitUntilReleased(Status, timeout, client);

    /// <summary><see cref="WaitUntilReleased(TimeSpan, string?)"/> on any server's smbstatus (a cluster's node).</summary>
    public static string WaitUntilReleased(Func<string> smbstatus, TimeSpan timeout, string? client)
    {
        var clock = Stopwatch.StartNew();
        var ofClient = client is null ? null : new Regex($@"(^|[\s:]){Regex.Escape(client)}[\s:)]", RegexOptions.Multiline);
        while (true)
        {
            string status = smbstatus();
            bool clean = ofClient is not null
                ? !ofClient.IsMatch(status)
                : !status.Contains(User + " ") && !status.Contains("SMB3") && !status.Contains(" " + ShareName + " ") && !status.Contains("DENY_");
            if (clean) return status;
            if (clock.Elapsed > timeout) throw new TimeoutException($"the server still shows the guest after {timeout.TotalSeconds:0}s:\n{status}");
            Thread.Sleep(500);
        }
    }

    /// <summary>A credentials file in mount.cifs format.</summary>
    public static string CredentialsText(string password) => $"username={User}\npassword={password}\n";

    public void Dispose() => Stop(signal: "-TERM");
}
