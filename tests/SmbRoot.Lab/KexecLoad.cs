namespace SmbRoot.Lab;

/// <summary>
/// A tiny static program for the guest that does what <c>kexec -l</c> does with kexec_file_load(2):
/// it loads a kernel, an initramfs and a command line for the next reboot(LINUX_REBOOT_CMD_KEXEC).
/// The lab's busybox roots have no kexec-tools.
/// </summary>
public static class KexecLoad
{
    public const string GuestPath = "/sbin/kexec-load";
    public const string Loaded = "LAB: kexec loaded";

    private const string Source = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        int main(int argc, char **argv) {
            if (argc != 4) { fprintf(stderr, "usage: kexec-load KERNEL INITRAMFS COMMAND-LINE\n"); return 2; }
            int kernel = open(argv[1], O_RDONLY | O_CLOEXEC), initrd = open(argv[2], O_RDONLY | O_CLOEXEC);
            if (kernel < 0 || initrd < 0) { perror("kexec-load: open"); return 1; }
            if (syscall(SYS_kexec_file_load, kernel, initrd, strlen(argv[3]) + 1, argv[3], 0UL) != 0) { perror("kexec-load: kexec_file_load"); return 1; }
            printf("LAB: kexec loaded\n");
            return 0;
        }
        """;

    /// <summary>The program, built for the guest; returns its path on the host.</summary>
    public static string Build(string directory) => StaticProgram.Build(directory, "kexec-load", Source);
}
