using SmbRoot.Core.Admin;

namespace SmbRoot.Admin;

/// <summary>
/// <c>gc DIR --pointer P [--keep N] [--delete]</c>: the versions beside P that nothing needs any
/// more (<see cref="VersionCollector"/>), listed, and deleted only with <c>--delete</c>. It runs on
/// the file server itself: what a machine still runs is an image smbd holds open there, which
/// /proc shows; through a mounted share that cannot be seen, so it refuses.
/// </summary>
public static class GcCommand
{
    public static int Run(ShareDirectory share, string pointer, int keep, bool delete, TextWriter output, TextWriter error)
    {
        if (MountType(share.Root) is "cifs" or "smb3")
        {
            error.WriteLine($"gc: {share.Root} is a mounted share; what the machines have open is seen only on the file server (smbd's open files). Run gc there");
            return 1;
        }
        var open = OpenFiles();
        var verdicts = VersionCollector.Judge(pointer, PointerCommands.Beside(share, pointer), PointerCommands.History(share, pointer), keep,
            path => open.Contains(share.FullPath(path)));
        foreach (var verdict in verdicts)
        {
            output.WriteLine(verdict.Goes ? $"  {verdict.Image.Path}: {(delete ? "deleted" : "would be deleted (--delete deletes it)")}"
                : $"  {verdict.Image.Path}: kept, {verdict.KeptBecause}");
            if (verdict.Goes && delete) File.Delete(share.FullPath(verdict.Image.Path));
        }
        if (verdicts.Count == 0) output.WriteLine($"gc: no images beside {pointer}");
        return 0;
    }

    /// <summary>Every file some process here has open (/proc/PID/fd), by its path.</summary>
    private static HashSet<string> OpenFiles()
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        // .NET's search patterns know only * and ?: the numbers are picked out here.
        foreach (var fds in Directory.EnumerateDirectories("/proc").Where(p => Path.GetFileName(p).All(char.IsAsciiDigit)).Select(p => Path.Combine(p, "fd")))
        {
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(fds))
                {
                    if (new FileInfo(fd).LinkTarget is { } target) open.Add(target);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a process that ended, or not ours to see
        }
        return open;
    }

    /// <summary>The filesystem type of the mount that holds <paramref name="path"/> (/proc/mounts, longest prefix).</summary>
    private static string? MountType(string path) =>
        File.ReadAllLines("/proc/mounts").Select(line => line.Split(' ')).Where(f => f.Length > 2)
            .Select(f => (Point: f[1].Replace("\\040", " "), Type: f[2]))
            .Where(m => path == m.Point || path.StartsWith(m.Point.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(m => m.Point.Length).Type;
}
