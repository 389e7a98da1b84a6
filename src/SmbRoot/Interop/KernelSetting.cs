using System.Text;

namespace SmbRoot.Interop;

/// <summary>Writing a sysctl under /proc/sys.</summary>
public static class KernelSetting
{
    /// <summary>One value with plain open(2)/write(2): no truncation or seeking that procfs may refuse (proc_sys_write).</summary>
    public static void Write(string path, string value)
    {
        int fd = Sys.Open(path, Sys.O_WRONLY);
        try { Sys.WriteAll(fd, Encoding.ASCII.GetBytes(value + "\n"), path); }
        finally { Sys.Close(fd); }
    }
}
