using SmbRoot.Core.State;
using SmbRoot.Resources;
using Xunit;

namespace SmbRoot.Tests.Boot;

/// <summary>The boot's undo and the state file come from one stack: released in reverse, written in order.</summary>
public class ResourceStackTests
{
    private sealed class Fake(string name, List<string> released, Built? forFinalStage = null, bool fails = false) : IReleasedAtTheEnd
    {
        public string Name => name;
        public Built ForFinalStage => forFinalStage ?? throw new InvalidOperationException("not kept");

        public void Release(Deadline deadline)
        {
            released.Add(name);
            if (fails) throw new IOException(name + " is busy");
        }
    }

    private sealed class Transient(string name, List<string> released) : IResource
    {
        public string Name => name;
        public void Release(Deadline deadline) => released.Add(name);
    }

    [Fact]
    public void An_attempt_is_undone_in_reverse_and_a_failed_release_does_not_stop_the_rest()
    {
        var released = new List<string>();
        var reported = new List<string>();
        var stack = new ResourceStack();
        stack.Push(new Transient("modules", released));
        stack.Push(new Fake("share", released, new Built.Mount("/share")));
        stack.Push(new Fake("loop", released, new Built.Mount("/loop"), fails: true));
        stack.Push(new Fake("root", released, new Built.Mount("/sysroot")));

        stack.ReleaseAll(new Deadline(TimeSpan.Zero), (resource, e) => reported.Add($"{resource.Name}: {e.Message}"));

        Assert.Equal(["root", "loop", "share", "modules"], released);
        Assert.Equal(["loop: loop is busy"], reported);
    }

    [Fact]
    public void The_final_stage_gets_what_it_gives_back_in_the_order_built()
    {
        var stack = new ResourceStack();
        stack.Push(new Transient("modules", []));
        stack.Push(new Fake("share", [], new Built.Share("/share", "//s/b", null)));
        stack.Push(new Fake("root", [], new Built.Mount("/sysroot")));
        Assert.Equal([new Built.Share("/share", "//s/b", null), new Built.Mount("/sysroot")], stack.ForFinalStage);
    }
}
