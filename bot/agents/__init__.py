"""Agent backends behind one port (`bot.agents.base.Agent`)."""
