/**
 * The namespace: path rules, resolution of paths to inodes, open and create, mkdir, list,
 * stat, delete, rename and file flags.
 */
package org.cowstack.storage.cow.ns;
