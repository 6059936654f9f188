package org.cmglab.azure.instances;

/**
 * Role instance states as CloudMgr logs them ("Deployment instance status for service X is ReadyRole"), plus the
 * two the emulator adds: {@code Stopped} (stopped on purpose) and {@code Crashed} (exited on its own).
 */
public enum InstanceState { BusyRole, ReadyRole, RestartingRole, Stopped, Crashed }
