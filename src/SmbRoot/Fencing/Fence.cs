using Microsoft.Extensions.Logging;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Fencing;

/// <summary>
/// The machine stops writing to an image it may no longer own: a message on the console, then an
/// immediate reboot(2). No sync and no release: either could block on the share, or write to an
/// image another machine now holds. The unwritten data is lost; the image stays consistent for
/// the machine that takes it (its journal replays from what reached the server).
/// </summary>
public static class Fence
{
    public static void Now(ILogger log, string why, TimeSpan sinceProof) =>
        Stop(log, why, $"last proof of ownership {sinceProof.TotalSeconds:0} s ago; rebooting now, without writing anything more to the image");

    /// <summary>Says <paramref name="why"/> and what happens <paramref name="then"/> on the console, and reboots. Never returns.</summary>
    public static void Stop(ILogger log, string why, string then)
    {
        try
        {
            log.Error($"fencing: {why}");
            log.Error($"fencing: {then}");
        }
        finally
        {
            while (true)
            {
                try { Sys.RebootNow(); }
                catch (SysException) { /* tried again: nothing else may run */ }
                Thread.Sleep(100);
            }
        }
    }
}
