namespace SmbRoot.Core.Modules;

/// <summary>fnmatch(3) without flags, as kmod matches modules.alias patterns: '*', '?' and '[...]'.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string text) => Match(pattern, 0, text, 0);

    private static bool Match(string p, int pi, string t, int ti)
    {
        while (pi < p.Length)
        {
            char c = p[pi];
            if (c == '*')
            {
                while (pi < p.Length && p[pi] == '*') pi++;
                if (pi == p.Length) return true;
                for (int k = ti; k <= t.Length; k++)
                {
                    if (Match(p, pi, t, k)) return true;
                }
                return false;
            }
            if (ti >= t.Length) return false;
            if (c == '?')
            {
                pi++; ti++;
            }
            else if (c == '[')
            {
                int close = p.IndexOf(']', pi + 2);
                if (close < 0)
                {
                    if (t[ti] != '[') return false;
                    pi++; ti++;
                    continue;
                }
                string set = p[(pi + 1)..close];
                bool negate = set.Length > 0 && set[0] is '!' or '^';
                if (negate) set = set[1..];
                bool found = false;
                for (int k = 0; k < set.Length; k++)
                {
                    if (k + 2 < set.Length && set[k + 1] == '-')
                    {
                        if (t[ti] >= set[k] && t[ti] <= set[k + 2]) found = true;
                        k += 2;
                    }
                    else if (set[k] == t[ti]) found = true;
                }
                if (found == negate) return false;
                pi = close + 1; ti++;
            }
            else
            {
                if (c != t[ti]) return false;
                pi++; ti++;
            }
        }
        return ti == t.Length;
    }
}
