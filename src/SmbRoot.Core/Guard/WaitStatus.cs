namespace SmbRoot.Core.Guard;

/// <summary>The status waitpid(2) reports, decoded as the W* macros do (bits/waitstatus.h).</summary>
public readonly record struct WaitStatus(int Raw)
{
    public int TermSignal => Raw & 0x7F;
    public bool Exited => TermSignal == 0;
    public bool Signaled => TermSignal is not 0 and not 0x7F;
    public int ExitCode => (Raw >> 8) & 0xFF;

    public static WaitStatus FromExit(int code) => new((code & 0xFF) << 8);
    public static WaitStatus FromSignal(int signal) => new(signal & 0x7F);
}
