using SmbRoot.Core.State;
using SmbRoot.Guard;
using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 8: keep what the final stage needs (this binary and any libraries it has, listed in
/// /etc/smbroot/retain by the initramfs builder) in <see cref="RetainedRamdisk.MountPoint"/>, which survives the switch,
/// and leave the state file the final stage reads back. The files are hard links, not copies:
/// /run/initramfs is the initramfs's own <see cref="BootContext.RetainedInInitramfs"/> (see
/// <see cref="EarlySetup"/>), and the switch deletes every other name. A retry redoes what a failed try left.
/// </summary>
public static class RetainStep
{
    private const string Manifest = "/etc/smbroot/retain";

    /// <param name="built">what the boot built, in order (<see cref="ResourceStack.ForFinalStage"/>)</param>
    public static void Run(IReadOnlyList<Built> built)
    {
        foreach (var file in File.ReadAllLines(Manifest).Where(l => l.StartsWith('/')))
        {
            // The init binary is the final stage (systemd runs /run/initramfs/shutdown, bootup(7)) and the users' client.
            foreach (string name in file == "/init" ? ["/shutdown", "/init"] : new[] { file })
            {
                // Linked through the initramfs's own path: link(2) across two mounts of one filesystem is EXDEV.
                string target = BootContext.RetainedInInitramfs + name;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Delete(target);
                Sys.Link(file, target);
            }
        }
        if (!Sys.Exists(RetainedBinary.Path))
        {
            throw new BootException($"{RetainedBinary.Path} is missing: {RetainedRamdisk.MountPoint} is not the initramfs's {BootContext.RetainedInInitramfs}, so nothing would be left to shut the machine down",
                "the 'early setup' errors at the start of the console", permanent: true);
        }
        File.WriteAllText(BootState.Path, new BootState(built).Serialize());
        Sys.MakeDirectory(RetainedRamdisk.MountPoint + "/oldroot");
    }
}
