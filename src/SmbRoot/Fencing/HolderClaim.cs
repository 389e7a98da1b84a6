using SmbRoot.Boot;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Kernel;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

namespace SmbRoot.Fencing;

/// <summary>
/// The boot's side of fencing, in two steps around the image's lock. <see cref="Watch"/> runs before
/// the image is opened: it reads the holder record beside the image and, while <see cref="Takeover"/>
/// says the holder may still be alive, waits, naming it and the time left on the console; if the
/// record changes meanwhile, the holder is alive and the image is in use. Only then is the image
/// opened and locked, and <see cref="Watched.Take"/> checks that the record is still the one watched
/// and writes this machine's. The waiting machine must not break a lease the holder holds: Samba
/// disconnects a holder that is cut off and cannot acknowledge the break, and the holder's writes in
/// flight then fail with EIO. So it never opens the image while it waits, and it reads the record
/// through the share's mount without leases (<see cref="Boot.Steps.ShareStep"/>).
/// </summary>
public static class HolderClaim
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    /// <summary>The record as watched until <see cref="Takeover"/> allowed the take, and its file (none yet if it does not exist).</summary>
    public sealed class Watched(ServerFile? file, byte[] block, string path, string display, string what, string inUseHint) : IDisposable
    {
        private ServerFile? _file = file;

        /// <summary>Whether the record was there before this boot: the file beside it has been held before.</summary>
        public bool RecordExisted { get; } = file is not null;

        /// <summary>
        /// With the image's lock granted: the record must still be the one watched (another machine that
        /// took the image meanwhile has written its own), and becomes this machine's, quickly and
        /// confirmed (<see cref="ClaimRule"/>). The file goes to the returned holder; <paramref name="provedAt"/>
        /// is the claim's proof of ownership, dated before its read.
        /// </summary>
        /// <param name="imageFileId">the server's file id of the image or layer being claimed, which each renewal checks its name still names</param>
        public Holder Take(BootContext context, RootNetwork network, ulong imageFileId, out TimeSpan provedAt)
        {
            _file ??= Open(path, display, create: true)!;
            var sent = MonotonicClock.Now;
            byte[] now = _file.ReadBlock();
            if (!now.AsSpan().SequenceEqual(block))
            {
                throw InUse(context, what, inUseHint, HolderRecord.Read(now), "wrote its holder record after this machine read it");
            }
            var me = Identity(network);
            var record = new HolderRecord(false, me.BootId, me.Mac, HostName(), network.Record.Address.ToString(), DateTimeOffset.UtcNow,
                ClaimRule.FirstRenewal(HolderRecord.Read(block)), context.Plan.Fencing.Deadline) { MachineUuid = me.Uuid ?? "-" };
            _file.WriteBlock(record.ToBytes());
            var answered = MonotonicClock.Now;
            if (ClaimRule.TookTooLong(sent, answered) is { } slow)
            {
                throw new BootException($"{what}: {slow}", "the server's load and the network's delay" + (context.Plan.RetrySeconds > 0 ? "" : "; rd.retry= keeps trying"));
            }
            var holder = new Holder(_file, record, imageFileId);
            holder.ConfirmAt(answered + ClaimRule.ConfirmAfter); // by Confirm, before the first write: the wait overlaps the attach and the filesystem's module
            _file = null;
            provedAt = sent;
            return holder;
        }

        public void Dispose() => _file?.Dispose();
    }

    /// <summary>Reads the record and waits until it allows this machine to take the image; throws when the image is in use.</summary>
    /// <param name="recordBase">the image's path on the mount for the records (<see cref="Resources.ShareMount.RecordPath"/>): its record is beside it</param>
    /// <param name="what">the file for messages: "the image //server/share/path"</param>
    /// <param name="inUseHint">what to check when it is in use</param>
    public static Watched Watch(BootContext context, RootNetwork network, string recordBase, string display, string what, string inUseHint)
    {
        var log = context.Log;
        string path = recordBase + HolderRecord.FileSuffix;
        var watch = new RecordWatch(Identity(network), context.Plan.Fencing);
        var file = Open(path, display, create: false);
        try
        {
            TimeSpan? reported = null;
            while (true)
            {
                var now = MonotonicClock.Now; // before the read: the block is at least this fresh
                byte[] block = file?.ReadBlock() ?? new byte[HolderRecord.Size];
                var reading = HolderRecord.Read(block);
                switch (watch.Next(block, now, MonotonicClock.Now))
                {
                    case TakeoverDecision.InUse inUse:
                        throw InUse(context, what, inUseHint, inUse.Reading, inUse.Reason);
                    case TakeoverDecision.Take take:
                        if (reading is not HolderRecord.Reading.Empty) log.Say($"fencing: taking {display}: {take.Why}");
                        return new Watched(file, block, path, display, what, inUseHint);
                    case TakeoverDecision.Wait wait:
                        if (reported is null || now - reported >= ReportEvery)
                        {
                            reported = now;
                            string holder = reading is HolderRecord.Reading.Valid held ? held.Record.Describe() : $"an unreadable record ({((HolderRecord.Reading.Unreadable)reading).Problem})";
                            log.Warn($"fencing: {display} was held by {holder}; {wait.Why}; taking it in {wait.Left.TotalSeconds:0} s unless it renews");
                        }
                        Thread.Sleep(wait.Left < TimeSpan.FromSeconds(1) ? wait.Left : TimeSpan.FromSeconds(1));
                        break;
                }
            }
        }
        catch
        {
            file?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The claim's confirmation (<see cref="ClaimRule"/>), right before the first write to what it
    /// claimed (the mount of its filesystem); throws when another machine claimed it at the same moment.
    /// </summary>
    public static void Confirm(BootContext context, HolderGuard claim, string what)
    {
        HolderRecord.Reading? other;
        lock (claim.Holder) other = claim.Holder.Confirm();
        if (other is not null) throw InUse(context, what, "that no other machine runs from it", other, "claimed it at the same moment as this machine");
    }

    private static BootException InUse(BootContext context, string what, string hint, HolderRecord.Reading reading, string evidence) =>
        new($"{what} is in use by another machine, " + (reading is HolderRecord.Reading.Valid v ? $"{v.Record.Describe()}: it {evidence}" : $"which {evidence}"),
            hint + (context.Plan.RetrySeconds > 0 ? "" : "; rd.retry= keeps trying"));

    /// <summary>The record file; without <paramref name="create"/>, null when there is none yet.</summary>
    private static ServerFile? Open(string path, string display, bool create)
    {
        try
        {
            return new ServerFile(path, HolderRecord.Size, create);
        }
        catch (SysException e) when (e.Errno == Errno.ENOENT && !create)
        {
            return null;
        }
        catch (SysException e)
        {
            throw new BootException($"the holder record {display}{HolderRecord.FileSuffix} cannot be opened: {Errno.Describe(e.Errno)}",
                "that this user may create and write files in the image's directory on the share: a read-write image needs its holder record beside it", inner: e);
        }
    }

    /// <summary>This machine: the boot's MAC, the firmware's system UUID (dmi/id is root's to read), and this boot.</summary>
    private static MachineIdentity Identity(RootNetwork network)
    {
        string? uuid;
        try { uuid = File.ReadAllText("/sys/class/dmi/id/product_uuid"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { uuid = null; }
        return new MachineIdentity(Interfaces.MacText(network.Mac ?? Interfaces.Mac(network.Interface)), MachineIdentity.UsableUuid(uuid), BootId());
    }

    /// <summary>The kernel's random id of this boot (random(4)): a new one at every boot, also after a reset.</summary>
    private static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    private static string HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim();
}
