export = { testMatch: ["**/*.spec"] };
