namespace SmbRoot.Lab;

/// <summary>
/// A tiny static program for the guest: it prints the signal state it was started with
/// (SigBlk, SigIgn, SigCgt from /proc/self/status, proc(5)), and THP_enabled (0 when it inherited
/// prctl(2)'s PR_SET_THP_DISABLE), and then execs the program named by
/// its first argument, or /sbin/init. As <c>init=</c> it shows exactly what SmbRoot handed the
/// system's init, before the init changes anything itself.
/// </summary>
public static class SignalProbe
{
    public const string GuestPath = "/sbin/sigprobe";

    /// <summary>What it prints; a clean start is all zeros, with transparent huge pages allowed as the kernel allows them.</summary>
    public const string CleanStart = "LAB: start-signals SigBlk=0000000000000000 SigIgn=0000000000000000 SigCgt=0000000000000000 THP_enabled=1";

    private const string Source = """
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            char line[256], blk[32] = "?", ign[32] = "?", cgt[32] = "?", thp[32] = "?";
            FILE *status = fopen("/proc/self/status", "r");
            while (status && fgets(line, sizeof line, status)) {
                line[strcspn(line, "\n")] = 0;
                if (!strncmp(line, "SigBlk:\t", 8)) snprintf(blk, sizeof blk, "%s", line + 8);
                if (!strncmp(line, "SigIgn:\t", 8)) snprintf(ign, sizeof ign, "%s", line + 8);
                if (!strncmp(line, "SigCgt:\t", 8)) snprintf(cgt, sizeof cgt, "%s", line + 8);
                if (!strncmp(line, "THP_enabled:\t", 13)) snprintf(thp, sizeof thp, "%s", line + 13);
            }
            printf("LAB: start-signals SigBlk=%s SigIgn=%s SigCgt=%s THP_enabled=%s\n", blk, ign, cgt, thp);
            fflush(stdout);
            char *init[] = { "init", NULL };
            execv(argc > 1 ? argv[1] : "/sbin/init", argc > 1 ? argv + 1 : init);
            perror("sigprobe: execv");
            return 1;
        }
        """;

    /// <summary>The probe, built for the guest; returns its path on the host.</summary>
    public static string Build(string directory) => StaticProgram.Build(directory, "sigprobe", Source);
}
