/** Scrub: the job that walks a volume's blocks, and its findings. */
package org.cowstack.storage.cow.scrub;
