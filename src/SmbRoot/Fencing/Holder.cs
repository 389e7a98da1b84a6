using SmbRoot.Core.Fencing;
using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Fencing;

/// <summary>
/// This boot's record in the holder file beside the image (<see cref="HolderRecord"/>): renewed
/// while the machine runs, marked released once the image is closed. Releasing it is what lets
/// the next machine take the image at once instead of waiting for the record to go stale.
/// </summary>
public sealed class Holder : IResource
{
    private ServerFile _file;
    private HolderRecord _record;
    private readonly ulong? _imageFileId;

    /// <param name="imageFileId">the server's file id of the read-write image or layer this record holds, checked at every renewal; null where no one checks it (the final stage)</param>
    public Holder(ServerFile file, HolderRecord record, ulong? imageFileId = null) => (_file, _record, _imageFileId) = (file, record, imageFileId);

    /// <summary>Opens the holder file again for the boot <paramref name="bootId"/> (the final stage, when no file was handed to it).</summary>
    public static Holder Reopen(string path, string bootId) => Adopt(new ServerFile(path, HolderRecord.Size, create: false), bootId);

    /// <summary>The record in <paramref name="file"/>, if it still names the boot <paramref name="bootId"/>; the file is closed if not.</summary>
    public static Holder Adopt(ServerFile file, string bootId)
    {
        try
        {
            return HolderRecord.Read(file.ReadBlock()) is HolderRecord.Reading.Valid v && v.Record.BootId == bootId
                ? new Holder(file, v.Record)
                : throw new IOException($"{file.Path} no longer names this boot ({bootId}): another machine has taken the image");
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public HolderRecord Record => _record;
    public ulong? ImageFileId => _imageFileId;

    /// <summary>The held file's path beside the record, on the same mount.</summary>
    private string HeldPath => _file.Path[..^HolderRecord.FileSuffix.Length];
    public ServerFile File => _file;
    public string Path => _file.Path;
    public string Name => $"holder record {_file.Path}";

    /// <summary>
    /// Reads the record back, and renews it if it still names this boot. Returns null when renewed,
    /// or what it found instead: then another machine has taken the image, and this one must stop.
    /// Throws what the share throws (a partition blocks here on a hard mount: call it off the main loop).
    /// </summary>
    public string? Renew()
    {
        var reading = HolderRecord.Read(_file.ReadBlock());
        if (reading is not HolderRecord.Reading.Valid { Record: var found } || found.BootId != _record.BootId || found.Released)
        {
            return reading is HolderRecord.Reading.Valid v && !v.Record.Released
                ? $"the holder record now names {v.Record.Describe()}: that machine has taken the image"
                : $"the holder record no longer names this boot ({Describe(reading)})";
        }
        if (_imageFileId is ulong image && !ServerFile.Names(HeldPath, image))
        {
            return $"{HeldPath} on the server is no longer the file this machine attached (it was deleted, renamed or replaced); " +
                "after a reconnect the client would write to whatever the name names now";
        }
        var renewed = _record with { Renewal = _record.Renewal + 1 };
        var named = !ChecksName ? RecordName.Named.TheFileHeld : ServerFile.IdInDirectory(_file.Path) switch
        {
            null => RecordName.Named.NoFile,
            var id when id == _file.FileId => RecordName.Named.TheFileHeld,
            _ => RecordName.Named.AnotherFile,
        };
        switch (RecordName.Decide(named))
        {
            case RecordName.Decision.Lost lost:
                return lost.Why;
            case RecordName.Decision.WriteAgain again:
                (_file, var old) = (ServerFile.CreateAt(_file.Path, HolderRecord.Size, renewed.ToBytes()), _file);
                old.Dispose();
                WrittenAgain = again.Why;
                break;
            default:
                _file.WriteBlock(renewed.ToBytes());
                break;
        }
        _record = renewed;
        return null;
    }

    /// <summary>Whether the record's path is one on a mount here, whose name each renewal checks (<see cref="RecordName"/>): not a bare name in the share.</summary>
    private bool ChecksName => Path.StartsWith('/');

    private TimeSpan? _confirmAt;

    /// <summary>The claim that wrote this record is confirmed at <paramref name="at"/> (<see cref="ClaimRule"/>), by <see cref="Confirm"/>.</summary>
    public void ConfirmAt(TimeSpan at) => _confirmAt = at;

    /// <summary>
    /// The claim's confirming read, once, before the first write to the image: waits until its time,
    /// then null when the record is still this claim's (or a renewal of it), else what stands there.
    /// </summary>
    public HolderRecord.Reading? Confirm()
    {
        if (_confirmAt is not TimeSpan at) return null;
        if (at - MonotonicClock.Now is { Ticks: > 0 } wait) Thread.Sleep(wait);
        byte[] block = _file.ReadBlock();
        _confirmAt = null;
        return ClaimRule.StillMine(block, _record) ? null : HolderRecord.Read(block);
    }

    /// <summary>Set when the last renewal had to write the record at its name again (<see cref="RecordName"/>), for the console.</summary>
    public string? WrittenAgain { get; set; }

    private static string Describe(HolderRecord.Reading reading) => reading switch
    {
        HolderRecord.Reading.Empty => "it is empty",
        HolderRecord.Reading.Unreadable u => u.Problem,
        HolderRecord.Reading.Valid { Record.Released: true } => "it says released",
        _ => "another boot",
    };

    /// <summary>Marks the record released, if it is still this boot's; then closes the file.</summary>
    public void Release(Deadline deadline)
    {
        try
        {
            if (HolderRecord.Read(_file.ReadBlock()) is HolderRecord.Reading.Valid v && v.Record.BootId == _record.BootId)
            {
                _file.WriteBlock((_record with { Released = true, Renewal = _record.Renewal + 1 }).ToBytes());
            }
        }
        finally
        {
            _file.Dispose();
        }
    }
}
