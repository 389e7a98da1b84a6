namespace SmbRoot.Lab;

/// <summary>Small C programs for the guest, compiled statically so they run in any root (a busybox root has no libc).</summary>
public static class StaticProgram
{
    public static string Build(string directory, string name, string source)
    {
        string binary = Path.Combine(directory, name);
        if (File.Exists(binary)) return binary;
        string file = Path.Combine(directory, name + ".c");
        File.WriteAllText(file, source);
        Shell.Run(Shell.Require("clang", "clang"), "-static", "-O2", "-o", binary, file);
        return binary;
    }
}
