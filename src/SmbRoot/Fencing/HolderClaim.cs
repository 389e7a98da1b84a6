using System.Diagnostics;
using SmbRoot.Boot;
using SmbRoot.Core.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

namespace SmbRoot.Fencing;

/// <summary>
/// The boot's side of fencing: with the image's lock granted, read the holder record beside it and
/// take the image only when <see cref="Takeover"/> says so. While the holder may still be alive,
/// wait, naming it and the time left on the console; if its record changes meanwhile, it is alive,
/// and the image is in use.
/// </summary>
public static class HolderClaim
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    public static Holder Take(BootContext context, RootNetwork network, string imagePath, string display)
    {
        var log = context.Log;
        var policy = context.Plan.Fencing;
        string path = imagePath + Holder.Suffix;
        var file = Open(path, display);
        try
        {
            string machine = Interfaces.MacText(network.Mac ?? Interfaces.Mac(network.Interface));
            var watching = Stopwatch.StartNew();
            byte[]? first = null;
            TimeSpan? serverAgeAtStart = null; // the record's age by the server's clock, less the time watched when it was measured
            TimeSpan? reported = null;
            while (true)
            {
                byte[] block = file.ReadBlock();
                first ??= block;
                var reading = HolderRecord.Read(block);
                if (!block.AsSpan().SequenceEqual(first))
                {
                    string who = reading is HolderRecord.Reading.Valid v ? v.Record.Describe() : "its holder";
                    throw new BootException($"the image {display} is in use: {who} renewed its holder record while this machine waited",
                        "that no other machine runs from this image" + (context.Plan.RetrySeconds > 0 ? "" : "; rd.retry= keeps trying"));
                }
                var decision = Takeover.Decide(reading, machine, (serverAgeAtStart ?? TimeSpan.Zero) + watching.Elapsed, watching.Elapsed, policy);
                if (decision is TakeoverDecision.Wait && serverAgeAtStart is null)
                {
                    serverAgeAtStart = AgeByServer(file, path) - watching.Elapsed;
                    continue;
                }
                switch (decision)
                {
                    case TakeoverDecision.Take take:
                        if (watching.Elapsed > TimeSpan.FromSeconds(1) || reading is not HolderRecord.Reading.Empty) log.Say($"fencing: taking {display}: {take.Why}");
                        var record = new HolderRecord(false, BootId(), machine, HostName(), network.Record.Address.ToString(), DateTimeOffset.UtcNow, 0, policy.Deadline);
                        file.WriteBlock(record.ToBytes());
                        return new Holder(file, record);
                    case TakeoverDecision.Wait wait:
                        if (reported is null || watching.Elapsed - reported >= ReportEvery)
                        {
                            reported = watching.Elapsed;
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
            file.Dispose();
            throw;
        }
    }

    private static ServerFile Open(string path, string display)
    {
        try
        {
            return new ServerFile(path, HolderRecord.Size, create: true);
        }
        catch (SysException e)
        {
            throw new BootException($"the holder record {display}{Holder.Suffix} cannot be opened: {Core.Sys.Errno.Describe(e.Errno)}",
                "that this user may create and write files in the image's directory on the share: a read-write image needs its holder record beside it", inner: e);
        }
    }

    /// <summary>
    /// How long ago the record was written, by the server's clock: this machine writes a file beside
    /// it (<c>.next</c>, the machine that waits), and the server stamps both with its own time.
    /// Zero when the stamps cannot be read or disagree with the order of events.
    /// </summary>
    private static TimeSpan AgeByServer(ServerFile holder, string path)
    {
        string nextPath = path[..^Holder.Suffix.Length] + ".next";
        try
        {
            using (var next = new ServerFile(nextPath, HolderRecord.Size, create: true))
            {
                next.WriteBlock(System.Text.Encoding.ASCII.GetBytes($"waiting to take the image: {HostName()}\n"));
                var age = next.ModifiedOnServer() - holder.ModifiedOnServer();
                return age > TimeSpan.Zero ? age : TimeSpan.Zero;
            }
        }
        catch (SysException)
        {
            return TimeSpan.Zero;
        }
        finally
        {
            try { File.Delete(nextPath); } catch (IOException) { /* left for the next machine to overwrite */ }
        }
    }

    /// <summary>The kernel's random id of this boot (random(4)): a new one at every boot, also after a reset.</summary>
    private static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    private static string HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim();
}
