using System.Globalization;
using Microsoft.Extensions.Logging;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Images;
using SmbRoot.Core.State;
using SmbRoot.Fencing;
using SmbRoot.Guard;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Handoff;

/// <summary>
/// In handoff mode SmbRoot does not stay PID 1, so a small process of its own does what PID 1 does
/// in guard mode: it keeps the claim (renews the holder record, feeds the watchdog and fences,
/// exactly as <see cref="HolderGuard"/> does in PID 1), and it checks that a read-only image is
/// still the file this machine booted (<see cref="ImageWatch"/>). Its argv[0] starts with '@',
/// which systemd's final killing spree leaves alone (systemd.io/ROOT_STORAGE_DAEMONS,
/// src/shared/killall.c); the final stage stops it before it releases anything.
/// </summary>
public static class HolderHelper
{
    public const string Command = "--hold";
    public const string ProcessName = "@smbroot-holder";
    private const string ClaimSection = "claim", ImageSection = "image";

    /// <summary>
    /// Hands <paramref name="claim"/> and the watch of <paramref name="image"/> (either may be null)
    /// over to a new helper process; returns its pid. The helper inherits the open holder file and
    /// the running watchdog, and the instant of the last proof, so there is no moment without a fence
    /// and nothing to open on the share (which may be cut off just then).
    /// </summary>
    public static int Start(HolderGuard? claim, FencingPolicy policy, ImageWatch.Target? image)
    {
        var handed = claim?.PassToHelper();
        try
        {
            var args = new List<string> { Command };
            if (claim is not null && handed is { } h)
            {
                args.AddRange([ClaimSection, Number(h.HolderFd), Number(h.WatchdogFd), Number((long)h.ProvedAt.TotalMilliseconds),
                    Convert.ToBase64String(claim.Holder.Record.ToBytes()), claim.Holder.Path, Number((long)(claim.Holder.ImageFileId ?? 0)),
                    Number((long)policy.Deadline.TotalSeconds), Number((long)policy.Margin.TotalSeconds)]);
            }
            if (image is not null)
            {
                args.AddRange([ImageSection, image.Path, image.Display, image.Booted.FileId.ToString(CultureInfo.InvariantCulture),
                    Number(image.Booted.Size), Number(image.Booted.Modified.UtcTicks),
                    image.Booted.Stamp is { } stamp ? $"{Number(stamp.ContentBytes)}:{stamp.Digest}:{Number(stamp.Published.UtcTicks)}" : "-",
                    image.Booted.HeadHash?.ToString(CultureInfo.InvariantCulture) ?? "-"]);
            }
            return Sys.Spawn(RetainedBinary.Path, [ProcessName, .. args], ["TERM=linux"]);
        }
        finally
        {
            // The child has its copies; this process's go (the exec that follows would close them anyway).
            if (handed is { } h)
            {
                Sys.Close(h.HolderFd);
                if (h.WatchdogFd >= 0) Sys.Close(h.WatchdogFd);
            }
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The helper's main: never returns while it holds the claim or watches the image.</summary>
    public static int Run(IReadOnlyList<string> args, ILogger log)
    {
        // First, so that systemd (and ps) never see the helper without the name it is spared by.
        ShowNameAlone();
        KeepFromOomKiller(log);
        return Hold(args, log);
    }

    /// <summary>
    /// What the helper does once it is named and kept from the OOM killer (<see cref="Run"/>, or a
    /// twin taking a killed helper's place, which is both already): keeps the claim and watches the image.
    /// </summary>
    internal static int Hold(IReadOnlyList<string> args, ILogger log)
    {
        bool claimed = false, watching = false;
        var decisions = new Decisions(); // no loop here: each thread decides on its own answers
        var rest = args;
        if (rest is [ClaimSection, var holderFd, var watchdogFd, var provedAt, var record, var path, var imageId, var deadline, var margin, ..]
            && int.TryParse(holderFd, out int holder) && int.TryParse(watchdogFd, out int watchdog) && long.TryParse(provedAt, out long provedMs)
            && ulong.TryParse(imageId, out ulong imageFileId) && int.TryParse(deadline, out int deadlineSeconds) && int.TryParse(margin, out int marginSeconds)
            && HolderRecord.Read(Convert.FromBase64String(record)) is HolderRecord.Reading.Valid { Record: var held })
        {
            var policy = new FencingPolicy(TimeSpan.FromSeconds(deadlineSeconds), TimeSpan.FromSeconds(marginSeconds), watchdog >= 0);
            var fence = new OwnershipFence(policy, LatestProof(TimeSpan.FromMilliseconds(provedMs)), log);
            _ = new HolderGuard(new Holder(ServerFile.Adopt(holder, path, HolderRecord.Size), held, imageFileId == 0 ? null : imageFileId),
                watchdog >= 0 ? Watchdog.Adopt(watchdog) : null, log, fence, decisions);
            claimed = true;
            rest = rest.Skip(9).ToList();
        }
        if (rest is [ImageSection, var imagePath, var display, var fileId, var size, var ticks, var stampText, var headHash]
            && ulong.TryParse(fileId, out ulong id) && long.TryParse(size, out long bytes) && long.TryParse(ticks, out long utcTicks))
        {
            var booted = new ImageIdentity(id, bytes, new DateTimeOffset(utcTicks, TimeSpan.Zero))
            {
                Stamp = stampText.Split(':') is [var content, var digest, var published] && long.TryParse(content, out long contentBytes) && long.TryParse(published, out long publishedTicks)
                    ? new ContentStamp(contentBytes, digest, new DateTimeOffset(publishedTicks, TimeSpan.Zero)) : null,
                HeadHash = ulong.TryParse(headHash, out ulong hash) ? hash : null,
            };
            ImageWatch.Start(log, new ImageWatch.Target(imagePath, display, booted), decisions);
            watching = true;
            rest = [];
        }
        if (rest.Count > 0 || !(claimed || watching))
        {
            log.Error($"holder helper: unexpected arguments; usage: {Command} [{ClaimSection} HOLDER-FD WATCHDOG-FD PROVED-AT-MONOTONIC-MS RECORD-BASE64 PATH IMAGE-FILE-ID DEADLINE MARGIN] " +
                $"[{ImageSection} PATH DISPLAY FILE-ID SIZE MODIFIED-UTC-TICKS CONTENT-BYTES:SHA256:PUBLISHED-UTC-TICKS|- HEAD-HASH|-]");
            return 2;
        }
        HolderTwin.KeepOne(args, log);
        return 0;
    }

    /// <summary>
    /// The later of the proof handed over and the last one written to <see cref="ClaimProof.Path"/>:
    /// a twin that takes the place of a killed helper fences from the helper's last renewal. A proof
    /// dated after now is not one this boot made.
    /// </summary>
    private static TimeSpan LatestProof(TimeSpan handed)
    {
        try
        {
            var written = ClaimProof.Parse(File.ReadAllText(ClaimProof.Path)).ProvedAt;
            return written > handed && written <= MonotonicClock.Now ? written : handed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return handed;
        }
    }

    /// <summary>
    /// The OOM killer must not take the fence with the helper: the lowest score makes this process
    /// the last it considers (proc(5), /proc/PID/oom_score_adj; mm/oom_kill.c skips OOM_SCORE_ADJ_MIN).
    /// </summary>
    internal static void KeepFromOomKiller(ILogger log)
    {
        try { KernelSetting.Write("/proc/self/oom_score_adj", "-1000"); }
        catch (SysException e) { log.Warn($"holder helper: the OOM killer may still choose it: {e.Message}"); }
    }

    /// <summary>
    /// systemd spares at shutdown a process whose /proc/PID/cmdline starts with '@' (the argv[0] this
    /// helper is spawned with); ps then shows @smbroot-holder, not a base64 record and file ids.
    /// </summary>
    internal static void ShowNameAlone() => Sys.ShowCommandLineAs(ProcessName);

    /// <summary>
    /// The final stage's side: stops the helper and its twin (whatever processes have
    /// <see cref="ProcessName"/> as their command line): their root and their opens on the share
    /// would keep them busy. All are stopped (SIGSTOP) before any is killed, so a twin cannot take
    /// the place of a helper killed first; the sweep repeats until it finds none.
    /// </summary>
    public static void Stop()
    {
        for (int sweep = 0; sweep < 10; sweep++)
        {
            var found = Named(ProcessName);
            if (found.Count == 0) return;
            foreach (int pid in found) Sys.Signal(pid, Sys.SIGSTOP);
            foreach (int pid in found) Sys.Signal(pid, Sys.SIGKILL);
            foreach (int pid in found)
            {
                try { Sys.WaitPid(pid); } catch (SysException) { /* not our child: it is gone all the same */ }
            }
        }
    }

    private static List<int> Named(string name)
    {
        var found = new List<int>();
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid) || pid == 1) continue;
            try
            {
                if (File.ReadAllText(directory + "/cmdline").StartsWith(name + "\0", StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { /* the process ended meanwhile */ }
        }
        return found;
    }
}
