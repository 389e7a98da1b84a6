using Microsoft.Extensions.Logging;
using SmbRoot.Core.Images;
using SmbRoot.Core.Kernel;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Guard;

/// <summary>
/// The check that the image's name on the server still names the file this machine booted
/// (<see cref="ImageIdentity"/>): in PID 1 in guard mode, in @smbroot-holder in handoff mode. Images are never replaced in place; one that was would be
/// read after the next reconnect, so the machine fences at once instead (<see cref="Fence"/>).
/// A thread of its own asks, because asking the server blocks for as long as the network is gone;
/// what the answer means is decided where <see cref="Decisions"/> says (guard mode: PID 1's loop).
/// Read-only images only (golden images and their versions): a read-write image is this machine's
/// by its holder record, and a second open of it while a cut cable heals would be one more handle
/// for the client to reopen while the loop device's writes wait.
/// </summary>
public static class ImageWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>What to watch: the image's path here, its name for messages, and the file the boot attached.</summary>
    public sealed record Target(string Path, string Display, ImageIdentity Booted);

    /// <summary>The target for a read-only image (one attached with its identity taken), or null.</summary>
    public static Target? For(ShareMount share, LoopAttachment image) =>
        image is { PathInShare: { } pathInShare, Identity: { } booted }
            ? new Target(share.MountPoint + "/" + pathInShare, share.Unc + "/" + pathInShare, booted)
            : null;

    /// <summary>Checks <paramref name="target"/> every few seconds on a thread of its own, and posts what each answer means to <paramref name="decisions"/>.</summary>
    public static void Start(ILogger log, Target target, Decisions decisions)
    {
        string? failing = null; // the decisions' alone
        BackgroundWork.Start("image watch", log, () =>
        {
            var named = new Named(target, log);
            while (true)
            {
                Thread.Sleep(Interval);
                var answer = named.Check();
                decisions.Post(() => failing = Decide(log, target.Display, answer, failing));
            }
        });
    }

    /// <summary>What the server says of the name: null when it still names the file booted, else what changed (Change) or why it cannot say (Error); Moved when it names another copy of the same published image.</summary>
    private readonly record struct Answer(string? Change, SysException? Error, string? Moved = null);

    /// <summary>
    /// The image's name, looked up from its directory (opened once, at the watch's start: a walk from
    /// the share's root would wait for the DFS namespace's server, which may be the one that died),
    /// and what the booted file holds, read at boot through its own handle: its content stamp and
    /// head, the image's identity across copies (<see cref="ContentStamp"/>). The watch's thread alone uses it.
    /// </summary>
    private sealed class Named(Target target)
    {
        private readonly string _name = System.IO.Path.GetFileName(target.Path);
        private int _directory = -1;
        private ImageIdentity _booted = target.Booted;

        /// <summary>The directory opened at the watch's start, soon after boot, while every server on the way answers; should that fail, at the first check.</summary>
        public Named(Target target, ILogger log) : this(target)
        {
            try
            {
                _directory = OpenDirectory();
            }
            catch (SysException e)
            {
                log.Warn($"guard: cannot open the directory of the image {target.Display} yet: {e.Message}");
            }
        }

        /// <summary>
        /// "/.": the walk goes into the directory, through the client's mount of a DFS link's target.
        /// Opened with O_PATH, the link's directory itself would be the automount point on the
        /// namespace's share (open(2)), from which the name is looked up on the namespace's server,
        /// which may hold another copy. A walk that has to revalidate a directory on a server that is
        /// down waits for it (a hard mount), which is why this is done once.
        /// </summary>
        private int OpenDirectory() => Sys.Open(System.IO.Path.GetDirectoryName(target.Path) + "/.", Sys.O_PATH | Sys.O_DIRECTORY);

        public Answer Check()
        {
            try
            {
                _directory = _directory >= 0 ? _directory : OpenDirectory();
                int fd = ServerFile.OpenName(_directory, _name, target.Display);
                try
                {
                    return Compare(fd);
                }
                finally
                {
                    Sys.Close(fd);
                }
            }
            catch (SysException e) when (e.Errno == Errno.ESTALE)
            {
                return new Answer("the name now names another file (ESTALE)", null);
            }
            catch (SysException e) when (e.Errno == Errno.EINVAL)
            {
                // The client opens an inode it has leased with that lease's key, and a server refuses a
                // lease key that belongs to another file with STATUS_INVALID_PARAMETER ([MS-SMB2]
                // 3.3.5.9.8; Samba, source3/smbd/open.c, lease_match): the name now names another file.
                return new Answer("the server refuses to open the name as the file this machine has open (a lease for another file)", null);
            }
            catch (SysException e)
            {
                return new Answer(null, e);
            }
        }

        /// <summary>What the open file <paramref name="fd"/>, the one the name names now, is against the file booted.</summary>
        private Answer Compare(int fd)
        {
            var now = ServerFile.IdentityOf(fd, target.Display);
            string? change = _booted.ChangedIn(now);
            if (change is null || target.Booted is not { Stamp: { } stamp, HeadHash: { } headHash }) return new Answer(change, null);
            var (stampNow, headNow) = ServerFile.ContentOf(fd, now.Size, target.Display);
            if (stampNow is null || !stamp.SameContent(stampNow))
            {
                return new Answer($"{change}, and {(stampNow is null ? "it has no content stamp" : $"its content stamp is {stampNow.ShortName}")} where the image booted has {stamp.ShortName}", null);
            }
            const int kib = ContentStamp.HeadBytes / 1024;
            if (ContentStamp.HashHead(headNow) != headHash) return new Answer($"{change}, and its first {kib} KiB differ from the image booted though its content stamp is the same (it was changed after it was published)", null);
            _booted = now;
            return new Answer(null, null, $"{change}; its content stamp ({stamp.ShortName}) and first {kib} KiB are the image's: " +
                "another copy of the same published image, on a DFS target or copied on the server");
        }
    }

    /// <summary>Fences on a change; says when the checks begin and stop failing. Returns the failure now standing.</summary>
    private static string? Decide(ILogger log, string display, Answer answer, string? failing)
    {
        if (answer.Change is { } change)
        {
            Fence.Stop(log, $"the image {display} on the server is not the file this machine booted: {change}. " +
                "Images must never be replaced in place (publish a new file and point to it); after a reconnect the client would read the new one",
                "rebooting now, before this machine reads a different filesystem");
        }
        if (answer.Moved is { } moved) log.Say($"guard: the image {display} is served by another file now ({moved}); going on");
        if (answer.Error is not { } error)
        {
            if (failing is not null) log.Say($"guard: the image {display} can be checked on the server again");
            return null;
        }
        if (failing != error.Message)
        {
            log.Warn(error.Errno == Errno.ENOENT
                ? $"guard: the image {display} is gone from the server (this machine's open file lives on until a reconnect): {error.Message}"
                : $"guard: cannot check the image {display} on the server: {error.Message}");
        }
        return error.Message;
    }
}
