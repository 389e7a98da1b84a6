using SmbRoot.Core.State;
using SmbRoot.Guard;
using SmbRoot.Interop;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 8: copy what the final stage needs (this binary and its libraries, listed in
/// /etc/smbroot/retain by the initramfs builder) into /run/initramfs, which survives the switch,
/// and leave the state file the final stage reads back. A retry overwrites what a failed try left.
/// </summary>
public static class RetainStep
{
    private const string Manifest = "/etc/smbroot/retain";

    public static void Run(BootContext context, BootedRoot booted)
    {
        foreach (var file in File.ReadAllLines(Manifest).Where(l => l.StartsWith('/')))
        {
            // The init binary is the final stage too: systemd runs /run/initramfs/shutdown (bootup(7)).
            string target = BootContext.RetainedRamdisk + (file == "/init" ? "/shutdown" : file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        File.WriteAllText(BootState.Path, StateOf(booted).Serialize());
        File.WriteAllText(RetainedBinary.ClientWrapper, RetainedBinary.ClientScript());
        File.SetUnixFileMode(RetainedBinary.ClientWrapper, (UnixFileMode)Sys.Mode0700); // the control socket is root's anyway
        Sys.MakeDirectory(BootContext.RetainedRamdisk + "/oldroot");
    }

    private static BootState StateOf(BootedRoot booted) =>
        new(booted.Share.MountPoint, booted.Share.Unc, booted.Image?.PathInShare,
            booted.Image?.Device, booted.Image?.FileSystem, booted.Network.Record, booted.Claim?.Holder.Record.BootId,
            booted.Layer?.PathInShare, booted.Layer?.Device);
}
