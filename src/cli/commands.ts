/** Every command group; importing a module registers its commands. */
