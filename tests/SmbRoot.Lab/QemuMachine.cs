using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// A QEMU guest (TCG: there is no KVM here) booting the built kernel and initramfs, its serial
/// console captured so tests can wait for lines on it.
/// </summary>
public sealed class QemuMachine : IDisposable
{
    private readonly Process _qemu;
    private readonly StringBuilder _console = new();
    private readonly object _lock = new();
    private readonly TextWriter? _echo;

    public QemuMachine(string kernel, string initrd, string commandLine, string nicModel = "virtio-net-pci", TextWriter? echo = null)
    {
        _echo = echo;
        string qemu = Shell.Require("qemu-system-x86_64", "qemu-system-x86");
        var info = new ProcessStartInfo(qemu,
        [
            "-m", "768", "-smp", "1", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd, "-append", commandLine,
            "-netdev", "user,id=n0", "-device", $"{nicModel},netdev=n0",
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        _qemu = Process.Start(info) ?? throw new InvalidOperationException("cannot start qemu");
        _qemu.OutputDataReceived += (_, e) => Append(e.Data);
        _qemu.ErrorDataReceived += (_, e) => Append(e.Data is null ? null : "qemu: " + e.Data);
        _qemu.BeginOutputReadLine();
        _qemu.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_lock) _console.AppendLine(line);
        _echo?.WriteLine(line);
    }

    public string Console
    {
        get { lock (_lock) return _console.ToString(); }
    }

    public bool HasExited => _qemu.HasExited;

    /// <summary>Waits for a console line matching <paramref name="pattern"/>; throws with the console when it does not come.</summary>
    public Match WaitFor(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var match = regex.Match(Console);
            if (match.Success) return match;
            if (clock.Elapsed > timeout || _qemu.HasExited)
            {
                Thread.Sleep(200);
                throw new TimeoutException(
                    $"no console line matching /{pattern}/ within {clock.Elapsed.TotalSeconds:0}s" +
                    (_qemu.HasExited ? " (QEMU exited)" : "") + ". Console:\n" + Console);
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>Types a line on the guest's serial console.</summary>
    public void Type(string line)
    {
        _qemu.StandardInput.Write(line + "\n");
        _qemu.StandardInput.Flush();
    }

    public bool WaitForExit(TimeSpan timeout) => _qemu.WaitForExit(timeout);

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
    }
}
