using System.Diagnostics;
using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Images;

namespace SmbRoot.Admin;

/// <summary>
/// <c>publish</c>, <c>rollback</c> and <c>versions</c>: a pointer moved from one image to the next
/// by writing its new content beside it and renaming it over (rename(2) is atomic: a boot reads
/// the old name or the new one). Running machines keep the image they opened; new boots take the
/// new one. Each publish adds the name it replaced to the pointer's history, which rollback takes back.
/// </summary>
public static class PointerCommands
{
    public static int Publish(ShareDirectory share, string image, string pointer, TextWriter output, TextWriter error)
    {
        if (Directory(image) != Directory(pointer))
        {
            error.WriteLine($"publish: {image} is not beside {pointer}: a pointer names an image in its own directory");
            return 1;
        }
        string? current = Current(share, pointer, error, out bool broken);
        if (broken) return 1;
        string name = Path.GetFileName(image);
        string? refusal = PointerHistory.PublishRefusal(pointer, name, current is null ? null : Path.GetFileName(current))
            ?? Unfit(share, image, output, error);
        if (refusal is not null)
        {
            error.WriteLine($"publish: {refusal}");
            return 1;
        }
        Stamp(share, image, pointer, output, error);
        if (current is not null)
        {
            var history = History(share, pointer).Append(Path.GetFileName(current));
            AtomicFile.Replace(share.FullPath(pointer + PointerHistory.Suffix), PointerHistory.Format(history));
        }
        AtomicFile.Replace(share.FullPath(pointer), name + "\n");
        output.WriteLine($"publish: {pointer} names {name} now" + (current is null ? "" : $" (it named {Path.GetFileName(current)}; machines running that keep it until they restart)") +
            "; new boots take it");
        return 0;
    }

    public static int Rollback(ShareDirectory share, string pointer, TextWriter output, TextWriter error)
    {
        var history = History(share, pointer);
        if (history.Count == 0)
        {
            error.WriteLine($"rollback: {pointer}{PointerHistory.Suffix} names no earlier version to go back to (publish writes it when it moves the pointer)");
            return 1;
        }
        string previous = history[^1];
        string previousPath = Sibling(pointer, previous);
        if (!File.Exists(share.FullPath(previousPath)))
        {
            error.WriteLine($"rollback: the earlier version {previousPath} is gone; {pointer} is left as it is");
            return 1;
        }
        string? current = Current(share, pointer, error, out _);
        AtomicFile.Replace(share.FullPath(pointer), previous + "\n");
        AtomicFile.Replace(share.FullPath(pointer + PointerHistory.Suffix), PointerHistory.Format(history.Take(history.Count - 1)));
        output.WriteLine($"rollback: {pointer} names {previous} again" + (current is null ? "" : $" (it named {Path.GetFileName(current)}; machines running that keep it until they restart)"));
        return 0;
    }

    public static int Versions(ShareDirectory share, string pointer, TextWriter output, TextWriter error)
    {
        string? current = Current(share, pointer, error, out _);
        var history = History(share, pointer);
        var images = Beside(share, pointer);
        output.WriteLine($"versions beside {pointer} (newest first):");
        foreach (var image in images.OrderByDescending(i => File.GetLastWriteTimeUtc(share.FullPath(i.Path))))
        {
            string name = Path.GetFileName(image.Path);
            int back = history.Count - history.ToList().LastIndexOf(name);
            string role = image.Path == current ? "current" : history.Contains(name) ? $"{back} back (rollback {(back == 1 ? "goes to it" : $"{back} times")})" : "not published by this pointer";
            string others = string.Join(", ", image.NamedBy.Where(p => p != pointer));
            output.WriteLine($"  {name,-40} {image.Size / (1 << 20),6}M  {File.GetLastWriteTimeUtc(share.FullPath(image.Path)):yyyy-MM-dd HH:mm}Z  {role}" +
                (others.Length > 0 ? $"; named by {others}" : ""));
        }
        return 0;
    }

    /// <summary>Why the image may not be published: held read-write, no filesystem SmbRoot boots, or a filesystem check that fails.</summary>
    private static string? Unfit(ShareDirectory share, string image, TextWriter output, TextWriter error)
    {
        string full = share.FullPath(image);
        if (!File.Exists(full) || new FileInfo(full).Length <= ImagePointer.MaxBytes) return $"{image} is not an image file (none, or under {ImagePointer.MaxBytes} bytes)";
        string record = image + HolderRecord.FileSuffix;
        if (File.Exists(share.FullPath(record)) && HolderRecord.Read(share.ReadRecord(record)) is HolderRecord.Reading.Valid { Record: { Released: false } holder })
        {
            return $"{image} is held read-write by {holder.Describe()}; a golden image is booted read-only by many machines. Publish a copy, or release it first";
        }
        string? fileSystem = SuperblockDetector.Detect(share.ReadHead(image, SuperblockDetector.BytesNeeded));
        string[]? check = fileSystem switch
        {
            // -C 1: e2fsck says how far it is on standard output (FsckProgress); the other checkers say nothing until the end.
            "ext4" => ["e2fsck", "-f", "-n", "-C", "1", full],
            "xfs" => ["xfs_repair", "-n", "-f", full],
            "btrfs" => ["btrfs", "check", "--readonly", full],
            null => null,
            _ => [],
        };
        if (check is null) return $"{image} holds no filesystem SmbRoot boots (ext4, xfs, btrfs, squashfs, f2fs, vfat)";
        if (check.Length == 0)
        {
            output.WriteLine($"publish: {image} is {fileSystem}; there is no checker for it here, so it is published unchecked");
            return null;
        }
        output.WriteLine($"publish: checking {image} ({fileSystem}, {new FileInfo(full).Length >> 20} MiB) with {string.Join(' ', check[..^1])}: it reads the whole image");
        var (exitCode, said) = Check(check, new ProgressLine(error, $"checking {image}"));
        return exitCode == 0 ? null
            : $"{check[0]} found problems in {image} (exit {exitCode}); a published image must be clean:\n{string.Join('\n', said.Trim().Split('\n').TakeLast(8))}";
    }

    /// <summary>
    /// Writes the image's content stamp (<see cref="ImageStamping"/>), unless another pointer names
    /// it already without one: machines may run it, and a stamp written now would change its size
    /// and end under them, which their guards take for an image replaced in place.
    /// </summary>
    private static void Stamp(ShareDirectory share, string image, string pointer, TextWriter output, TextWriter error)
    {
        var namedBy = Beside(share, pointer).FirstOrDefault(i => i.Path == image)?.NamedBy.Where(p => p != pointer).ToList() ?? [];
        if (namedBy.Count > 0 && !ImageStamping.IsStamped(share.FullPath(image)))
        {
            error.WriteLine($"publish: {image} is named by {string.Join(", ", namedBy)} already and has no content stamp; machines may run it, " +
                "so it is published without one (a stamp now would change it under them). A copy of it on a DFS target will not be taken for it: publish a copy instead");
            return;
        }
        var stamp = ImageStamping.Stamp(share.FullPath(image), DateTimeOffset.UtcNow, new ProgressLine(error, $"stamping {image}"), out bool written);
        output.WriteLine($"publish: {image} {(written ? "is stamped with" : "already carries")} its content's digest ({stamp.ShortName}, in its last 4 KiB): " +
            "a byte copy of it on another server (a DFS target) is the same image to the guard");
    }

    /// <summary>Runs a filesystem checker, with its progress (or the time so far, every 10 s) on the way; its exit code and what it said.</summary>
    private static (int ExitCode, string Said) Check(string[] command, ProgressLine progress)
    {
        var run = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new IOException($"cannot start {command[0]}");
        var said = new System.Text.StringBuilder();
        bool measured = false;
        var reader = new Thread(() =>
        {
            while (run.StandardOutput.ReadLine() is { } line)
            {
                if (FsckProgress.Fraction(line) is { } fraction) { Volatile.Write(ref measured, true); progress.Report(fraction, 1); }
                else lock (said) said.AppendLine(line);
            }
        });
        reader.Start();
        var errors = run.StandardError.ReadToEndAsync();
        while (!run.WaitForExit(TimeSpan.FromSeconds(1)))
        {
            if (!Volatile.Read(ref measured)) progress.StillWorking(TimeSpan.FromSeconds(10));
        }
        reader.Join();
        lock (said) return (run.ExitCode, said + errors.Result);
    }

    /// <summary>What the pointer names now (a path in the share), null when there is no pointer yet.</summary>
    private static string? Current(ShareDirectory share, string pointer, TextWriter error, out bool broken)
    {
        broken = false;
        if (!File.Exists(share.FullPath(pointer))) return null;
        try
        {
            return ImagePointer.Resolve(pointer, share.ReadHead(pointer, ImagePointer.MaxBytes));
        }
        catch (FormatException e)
        {
            error.WriteLine($"publish: {e.Message}");
            broken = true;
            return null;
        }
    }

    /// <summary>The images in the pointer's directory: the only ones a pointer there can name.</summary>
    internal static IReadOnlyList<ImageEntry> Beside(ShareDirectory share, string pointer) =>
        ShareInventory.Build(share.Files().Where(f => Directory(f.Path) == Directory(pointer)), share.ReadHead).Images;

    internal static IReadOnlyList<string> History(ShareDirectory share, string pointer) =>
        File.Exists(share.FullPath(pointer + PointerHistory.Suffix)) ? PointerHistory.Parse(File.ReadAllText(share.FullPath(pointer + PointerHistory.Suffix))) : [];

    private static string Directory(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    private static string Sibling(string pointer, string name) => Directory(pointer) is { Length: > 0 } dir ? dir + "/" + name : name;
}
