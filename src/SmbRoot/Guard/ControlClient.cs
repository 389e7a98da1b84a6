using SmbRoot.Core.Control;
using SmbRoot.Core.Shutdown;
using SmbRoot.Interop;

namespace SmbRoot.Guard;

/// <summary>The telinit-style client: <c>init status</c> and <c>init relinquish</c>, talking to PID 1 over the control socket.</summary>
public static class ControlClient
{
    public static int Status() => Ask(new ControlRequest.Status());

    public static int Relinquish(string[] options)
    {
        var verb = ShutdownVerb.PowerOff;
        bool loadNext = false;
        var deadline = FinalStageArguments.DefaultTimeout;
        for (int i = 0; i < options.Length; i++)
        {
            switch (options[i])
            {
                case "--poweroff": verb = ShutdownVerb.PowerOff; break;
                case "--reboot": verb = ShutdownVerb.Reboot; break;
                case "--halt": verb = ShutdownVerb.Halt; break;
                case "--kexec": verb = ShutdownVerb.Kexec; break;
                case "--kexec=next": (verb, loadNext) = (ShutdownVerb.Kexec, true); break;
                case "--timeout" when i + 1 < options.Length && int.TryParse(options[i + 1], out int seconds) && seconds is > 0 and <= 3600:
                    deadline = TimeSpan.FromSeconds(seconds);
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"init relinquish: unknown option '{options[i]}'; expected --poweroff, --reboot, --halt, --kexec, --kexec=next, --timeout SECONDS (1-3600)");
                    return 2;
            }
        }
        return Ask(new ControlRequest.Relinquish(verb, deadline, loadNext));
    }

    private static int Ask(ControlRequest request)
    {
        try
        {
            var (text, serverUid) = ControlSocket.Request(ControlMessages.Encode(request), TimeSpan.FromSeconds(10));
            if (serverUid != 0)
            {
                Console.Error.WriteLine($"init: @{ControlSocket.Name} is held by uid {serverUid}, not by SmbRoot's PID 1; not talking to it " +
                    "(in handoff mode PID 1 does not listen, so any user could bind the name)");
                return 1;
            }
            if (ControlMessages.CheckAnswer(request, text) is not { } answer)
            {
                Console.Error.WriteLine($"init: the answer on @{ControlSocket.Name} is not one SmbRoot's PID 1 gives; not printing it");
                return 1;
            }
            Console.Out.Write(answer.EndsWith('\n') ? answer : answer + "\n");
            return answer.StartsWith("error:", StringComparison.Ordinal) ? 1 : 0;
        }
        catch (SysException e)
        {
            Console.Error.WriteLine($"init: cannot reach SmbRoot's PID 1 ({e.Message}); it listens only in guard mode");
            return 1;
        }
    }
}
