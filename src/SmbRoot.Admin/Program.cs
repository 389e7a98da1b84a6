using SmbRoot.Admin;

return AdminTool.Run(args, Console.In, !Console.IsInputRedirected, Console.Out, Console.Error);
