using SmbRoot.Admin;

return AdminTool.Run(args, Console.Out, Console.Error);
