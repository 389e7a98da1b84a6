using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// A QEMU guest (TCG: there is no KVM here) booting the built kernel and initramfs, its serial
/// console captured so tests can wait for lines on it.
/// </summary>
/// <summary>
/// One network card: the QEMU device model (virtio-net-pci, e1000, ...), the backend
/// (<c>user</c> for QEMU's own NAT, <c>tap,ifname=tap0,script=no,downscript=no</c> for a lab network) and its MAC address.
/// </summary>
public sealed record GuestNic(string Model, string Backend, string Mac)
{
    public static GuestNic User(string model = "virtio-net-pci") => new(model, "user", "52:54:00:12:34:56");
}

public sealed class QemuMachine : IDisposable
{
    private readonly Process _qemu;
    private readonly StringBuilder _console = new();
    private readonly object _lock = new();
    private readonly TextWriter? _echo;
    private readonly StreamWriter? _log;
    private readonly string _monitor = Path.Combine(Path.GetTempPath(), $"smbroot-qemu-{Guid.NewGuid():N}.monitor");

    /// <param name="consoleLog">a file that gets the console as it comes, for reading after a failed test</param>
    /// <param name="memoryMiB">the guest's RAM</param>
    public QemuMachine(string kernel, string initrd, string commandLine, IReadOnlyList<GuestNic> nics, string? networkNamespace = null,
        TextWriter? echo = null, string? consoleLog = null, int memoryMiB = 768)
    {
        _echo = echo;
        if (consoleLog is not null) _log = new StreamWriter(consoleLog) { AutoFlush = true };
        string qemu = Shell.Require("qemu-system-x86_64", "qemu-system-x86");
        var arguments = new List<string>
        {
            "-m", memoryMiB.ToString(CultureInfo.InvariantCulture), "-smp", "1", "-display", "none", "-monitor", $"unix:{_monitor},server=on,wait=off", "-serial", "stdio", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd, "-append", commandLine,
        };
        // A system UUID of its own, as real firmware gives, made from the first NIC's MAC: the same guest is the same machine at every boot.
        if (nics.Count > 0) arguments.AddRange(["-uuid", $"5ab0007e-0000-4000-8000-{nics[0].Mac.Replace(":", "", StringComparison.Ordinal)}"]);
        for (int i = 0; i < nics.Count; i++)
        {
            arguments.AddRange(["-netdev", $"{nics[i].Backend},id=n{i}", "-device", $"{nics[i].Model},netdev=n{i},mac={nics[i].Mac}"]);
        }
        // Guests on a lab network run inside its namespace, where their tap devices are.
        var info = networkNamespace is null
            ? new ProcessStartInfo(qemu, arguments)
            : new ProcessStartInfo("ip", ["netns", "exec", networkNamespace, qemu, .. arguments]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        _qemu = Process.Start(info) ?? throw new InvalidOperationException("cannot start qemu");
        _qemu.OutputDataReceived += (_, e) => Append(e.Data);
        _qemu.ErrorDataReceived += (_, e) => Append(e.Data is null ? null : "qemu: " + e.Data);
        _qemu.BeginOutputReadLine();
        _qemu.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            _console.AppendLine(line);
            _log?.WriteLine(line);
        }
        _echo?.WriteLine(line);
    }

    public string Console
    {
        get { lock (_lock) return _console.ToString(); }
    }

    public bool HasExited => _qemu.HasExited;

    /// <summary>When the QEMU process ended (the guest reset or powered off: the lab runs QEMU with -no-reboot), or null while it runs.</summary>
    public DateTime? ExitedAt => _qemu.HasExited ? _qemu.ExitTime : null;

    private int _cursor;

    /// <summary>
    /// Waits for console output matching <paramref name="pattern"/> that came after the previous
    /// match (a cursor, so an old line never answers a new question); throws with the console when it does not come.
    /// </summary>
    public Match WaitFor(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var match = regex.Match(Console, _cursor);
            if (match.Success)
            {
                _cursor = match.Index + match.Length;
                return match;
            }
            if (clock.Elapsed > timeout || _qemu.HasExited)
            {
                // Once QEMU has exited, WaitForExit() without a timeout also waits until the
                // asynchronous console readers have delivered the last lines (Process.WaitForExit docs).
                if (_qemu.HasExited) _qemu.WaitForExit();
                else Thread.Sleep(200);
                if (regex.Match(Console, _cursor) is { Success: true } late)
                {
                    _cursor = late.Index + late.Length;
                    return late;
                }
                throw new TimeoutException(
                    $"no console line matching /{pattern}/ within {clock.Elapsed.TotalSeconds:0}s" +
                    (_qemu.HasExited ? " (QEMU exited)" : "") + ". Console:\n" + Console);
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>A match anywhere in what the console has shown so far (lines before the cursor too); throws when there is none.</summary>
    public Match Seen(string pattern) =>
        new Regex(pattern, RegexOptions.Multiline).Match(Console) is { Success: true } match
            ? match
            : throw new InvalidOperationException($"the console never showed /{pattern}/. Console:\n" + Console);

    /// <summary>Types a line on the guest's serial console.</summary>
    public void Type(string line)
    {
        _qemu.StandardInput.Write(line + "\n");
        _qemu.StandardInput.Flush();
    }

    public bool WaitForExit(TimeSpan timeout) => _qemu.WaitForExit(timeout);

    /// <summary>A command for QEMU's human monitor, e.g. <c>sendkey ctrl-alt-delete</c> (a key press on the guest's keyboard).</summary>
    public void Monitor(string command)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(_monitor));
        socket.Send(Encoding.UTF8.GetBytes(command + "\n"));
        Thread.Sleep(500); // the monitor answers with a banner and a prompt; the command has run by then
    }

    public void Dispose()
    {
        try
        {
            if (!_qemu.HasExited)
            {
                _qemu.Kill();
                _qemu.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _qemu.Dispose();
        lock (_lock) _log?.Dispose();
        File.Delete(_monitor);
    }
}
