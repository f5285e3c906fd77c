// A task module that fails to load: pool creation must report why.
throw new Error('this task module is broken on purpose');
