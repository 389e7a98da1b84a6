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
    public const string Suffix = ".holder";

    private readonly ServerFile _file;
    private HolderRecord _record;

    public Holder(ServerFile file, HolderRecord record) => (_file, _record) = (file, record);

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
        var renewed = _record with { Renewal = _record.Renewal + 1 };
        _file.WriteBlock(renewed.ToBytes());
        _record = renewed;
        return null;
    }

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
