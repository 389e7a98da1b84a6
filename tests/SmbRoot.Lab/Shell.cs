using System.Diagnostics;

namespace SmbRoot.Lab;

/// <summary>Runs host tools for the lab (never inside the initramfs).</summary>
public static class Shell
{
    public static string Run(string file, params string[] args) => Run(file, args, null);

    public static string Run(string file, string[] args, string? input, bool allowFailure = false)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{stdout}{stderr.Result}");
        }
        return stdout;
    }

    /// <summary>Starts a daemon with its output read and thrown away (so it never blocks on a full pipe); the caller stops it.</summary>
    public static Process StartQuiet(string[] command)
    {
        var process = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"cannot start {string.Join(' ', command)}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The full path of a tool, or a clear failure naming the Debian package that has it.</summary>
    public static string Require(string tool, string package)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" })
        {
            if (File.Exists(Path.Combine(dir, tool))) return Path.Combine(dir, tool);
        }
        throw new InvalidOperationException($"{tool} is missing: install the Debian package {package} (./build.sh test does)");
    }
}
