namespace SmbRoot.Core.Shutdown;

/// <summary>How the machine ends once the root is released: the reboot(2) command the final stage makes.</summary>
public enum ShutdownVerb { Reboot, PowerOff, Halt }

public static class ShutdownVerbs
{
    public static string Name(this ShutdownVerb verb) => verb switch
    {
        ShutdownVerb.Reboot => "reboot",
        ShutdownVerb.PowerOff => "poweroff",
        _ => "halt",
    };

    public static ShutdownVerb? Parse(string word) => word switch
    {
        "reboot" => ShutdownVerb.Reboot,
        "poweroff" => ShutdownVerb.PowerOff,
        "halt" => ShutdownVerb.Halt,
        _ => null,
    };
}
