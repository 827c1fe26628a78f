/**
 * The storage engine as OSGi services: the volume manager component and the classes it
 * delegates to, each holding one concern. {@link org.cowstack.storage.cow.InstalledServices}
 * is the registry of the device backends, checksum algorithms, allocation policies and
 * DIO strategies installed now, selected by the service properties they are registered
 * with; {@link org.cowstack.storage.cow.MountTable} holds every volume mounted or
 * configured, its {@code Volume} service and its commit timer;
 * {@link org.cowstack.storage.cow.HotSwap} carries a service coming or going to every
 * mounted volume; {@link org.cowstack.storage.cow.VolumeFstab} keeps the volumes'
 * settings in Config Admin, one factory configuration per volume, and applies the
 * configurations that arrive; {@link org.cowstack.storage.cow.VolumeManagerComponent}
 * is the Declarative Services component that binds the services and offers the
 * {@code VolumeManager} API over them. The file system itself is in the sub-packages
 * ({@code fs}, {@code btree}, {@code format}). The package is private to the bundle:
 * other bundles see the engine only through the services of {@code storage.api}.
 */
package org.cowstack.storage.cow;
